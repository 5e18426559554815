// The input pipeline's physical scale (yolo/input_pipeline.h): which pixel size a picture gets (its header, or the
// user's --apix over it; none is an error for a model with a scale), the resampled size, the chain's resize replaced
// by the scale's, the tile overlap, and the tiles covering the picture once with their owned parts.
#include <gtest/gtest.h>

#include <cmath>

#include "imgproc/chain.h"
#include "yolo/input_pipeline.h"

namespace yp::yolo {
namespace {

InputPipeline scaled_record(double pixel_size, double diameter = 0, int size = 256) {
  InputPipeline p{InputRule::Letterbox, "", size, 1};
  p.pixel_size = pixel_size;
  p.particle_diameter = diameter;
  return p;
}

imgproc::LoadedImage picture(int w, int h, const std::string& format, double pixel_size) {
  imgproc::LoadedImage p;
  p.image = imgproc::Image(w, h, 100.f);
  for (int y = 0; y < h; ++y) p.image.at(w / 2, y) = 200.f;  // something for the percentiles of an MRC
  p.format = format;
  p.pixel_size = pixel_size;
  return p;
}

std::string error_of(imgproc::LoadedImage p, double apix, const InputPipeline& record) {
  try {
    set_pixel_size(p, apix, record, "mic.png");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(InputScale, PixelSizeFromTheFileOrTheUser) {
  const InputPipeline record = scaled_record(3.54);
  // A PNG states none: an error naming the file and the fix, on one line.
  const std::string e = error_of(picture(100, 100, "png", 0), 0, record);
  EXPECT_EQ(e.rfind("mic.png: the picture states no pixel size and the model works at 3.54 A/px: give --apix", 0), 0u)
      << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  // --apix gives it, and overrides an MRC header.
  imgproc::LoadedImage mrc = picture(100, 100, "mrc", 1.0);
  set_pixel_size(mrc, 1.77, record, "mic.mrc");
  EXPECT_EQ(mrc.pixel_size, 1.77);
  imgproc::LoadedImage header = picture(100, 100, "mrc", 1.77);
  set_pixel_size(header, 0, record, "mic.mrc");
  EXPECT_EQ(header.pixel_size, 1.77);
  // Twice as coarse as the network is the limit; beyond it the model cannot see what it learned.
  EXPECT_EQ(error_of(picture(100, 100, "png", 7.08), 0, record), "no error");
  EXPECT_NE(error_of(picture(100, 100, "png", 7.2), 0, record).find("2x coarser"), std::string::npos);
  // A model without a scale needs nothing.
  EXPECT_EQ(error_of(picture(100, 100, "png", 0), 0, InputPipeline{InputRule::Letterbox, "", 640, 1}), "no error");
}

TEST(InputScale, ResampledSizeAndScale) {
  EXPECT_EQ(scaled_size(4096, 4096, 1.77, scaled_record(3.54)), std::make_pair(2048, 2048));
  EXPECT_EQ(scaled_size(999, 700, 1.3, scaled_record(2.0)), std::make_pair(649, 455));  // 649.35, 455
  EXPECT_EQ(scaled_size(600, 400, 1.5, scaled_record(1.0)), std::make_pair(900, 600));  // upsampled
  // scale_picture: the picture at the record's scale; scale = picture pixels per scaled pixel, exactly W / W'.
  const ScaledPicture s = scale_picture(picture(999, 700, "png", 1.3), scaled_record(2.0));
  EXPECT_EQ(s.image.width, 649);
  EXPECT_EQ(s.image.height, 455);
  EXPECT_DOUBLE_EQ(s.scale_x, 999.0 / 649);
  EXPECT_DOUBLE_EQ(s.scale_y, 700.0 / 455);
  // The same pixel size: no resampling at all.
  const ScaledPicture same = scale_picture(picture(300, 200, "png", 2.0), scaled_record(2.0));
  EXPECT_EQ(same.image.width, 300);
  EXPECT_FLOAT_EQ(same.image.at(10, 10), 100.f / 255.f);
  // A chain's own resize (to 1024 x 1024, or a binning) gives way to the record's scale.
  InputPipeline chained = scaled_record(2.0);
  set_chain(chained, "resize,wiener");
  const ScaledPicture c = scale_picture(picture(999, 700, "png", 1.3), chained);
  EXPECT_EQ(c.image.width, 649);
  EXPECT_EQ(c.image.height, 455);
  imgproc::ChainConfig binning = imgproc::chain_config_from_text(chained.chain);
  binning.bin_factor = 4;
  chained.chain = imgproc::to_text(binning);
  EXPECT_EQ(scale_picture(picture(999, 700, "png", 1.3), chained).image.width, 649);
  // Without a pixel size the pipeline refuses rather than guess.
  EXPECT_THROW(scale_picture(picture(100, 100, "png", 0), scaled_record(2.0)), Error);
}

TEST(InputScale, TileOverlapFollowsTheParticle) {
  EXPECT_EQ(default_tile_overlap(scaled_record(3.54, 191.16, 640)), 81);  // 54 px particle: 1.5 x 54 = 81
  EXPECT_EQ(default_tile_overlap(scaled_record(3.54, 0, 640)), 256);      // particle unknown
  EXPECT_EQ(default_tile_overlap(scaled_record(3.54, 20, 640)), 32);      // at least 32
  EXPECT_EQ(default_tile_overlap(scaled_record(1.0, 300, 256)), 128);     // at most half the tile
  EXPECT_EQ(default_tile_overlap(InputPipeline{InputRule::Letterbox, "", 1024, 1}), 256);  // as before
}

// Every picture pixel lies in some tile, every centre is owned by exactly one tile, and the owned parts (in picture
// pixels) tile the plane; a picture smaller than a tile is one padded tile.
TEST(InputScale, TilesCoverThePictureAndOwnEachCentreOnce) {
  const InputPipeline record = scaled_record(2.0, 60, 128);
  for (auto [w, h, apix] : {std::tuple{999, 700, 1.3}, std::tuple{300, 200, 1.0}, std::tuple{500, 380, 3.0}}) {
    const PictureInputs in = picture_inputs(picture(w, h, "png", apix), record, 32);
    const auto [ws, hs] = scaled_size(w, h, apix, record);
    EXPECT_EQ(in.width, w);
    EXPECT_EQ(in.height, h);
    for (double y = 0.25; y < h; y += 7.5)
      for (double x = 0.25; x < w; x += 7.5) {
        int owners = 0;
        for (const NetworkInput& t : in.inputs) {
          owners += x >= t.owned.x1 && x < t.owned.x2 && y >= t.owned.y1 && y < t.owned.y2;
          EXPECT_EQ(t.input.size(2), 128);
          EXPECT_EQ(t.input.size(3), 128);
        }
        ASSERT_EQ(owners, 1) << w << "x" << h << " at " << x << "," << y;
      }
    if (ws <= 128 && hs <= 128) {
      ASSERT_EQ(in.inputs.size(), 1u);
      EXPECT_EQ(in.inputs[0].geometry.resized_width, ws);  // padded, never enlarged
    }
  }
}

}  // namespace
}  // namespace yp::yolo
