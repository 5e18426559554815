// test_letterbox.cpp: letterbox geometry (minimal rectangle, fixed square, scale_fill, no scaleup, Python
// rounding), the OpenCV-style bilinear resize on hand-computed cases, padding placement, and the golden
// bus.jpg input tensor (../shared/golden/yolov5n_coco/bus.input.f32) rebuilt from the JPEG.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tests/support/shared_data.h"
#include "yolo/input_pipeline.h"
#include "yolo/letterbox.h"

namespace yp::yolo {
namespace {

LetterboxOptions target(int w, int h, bool auto_min_rect) {
  LetterboxOptions o;
  o.target_width = w;
  o.target_height = h;
  o.auto_min_rect = auto_min_rect;
  return o;
}

TEST(LetterboxGeometry, MinimalRectangle) {
  // bus.jpg 810x1080 at 640: gain 640/1080, 480x640, already a stride multiple.
  const LetterboxGeometry bus = letterbox_geometry(810, 1080, target(640, 640, true));
  EXPECT_EQ(bus.resized_width, 480);
  EXPECT_EQ(bus.resized_height, 640);
  EXPECT_EQ(bus.output_width, 480);
  EXPECT_EQ(bus.output_height, 640);
  EXPECT_EQ(bus.pad_left, 0);
  EXPECT_EQ(bus.pad_top, 0);
  EXPECT_NEAR(bus.gain_x, 0.592593, 1e-6);
  // zidane.jpg 1280x720: 640x360, padded by 24 to 384, 12 on each side.
  const LetterboxGeometry z = letterbox_geometry(1280, 720, target(640, 640, true));
  EXPECT_EQ(z.resized_height, 360);
  EXPECT_EQ(z.output_width, 640);
  EXPECT_EQ(z.output_height, 384);
  EXPECT_EQ(z.pad_top, 12);
  EXPECT_EQ(z.pad_left, 0);
}

TEST(LetterboxGeometry, FixedSquareAndOddPadding) {
  const LetterboxGeometry z = letterbox_geometry(1280, 720, target(640, 640, false));
  EXPECT_EQ(z.output_width, 640);
  EXPECT_EQ(z.output_height, 640);
  EXPECT_EQ(z.pad_top, 140);
  // 64x49 into 64x64: pad 15 splits as round(7.4) = 7 on top, round(7.6) = 8 below.
  const LetterboxGeometry odd = letterbox_geometry(64, 49, target(64, 64, false));
  EXPECT_EQ(odd.resized_height, 49);
  EXPECT_EQ(odd.pad_top, 7);
  EXPECT_EQ(odd.output_height, 64);
  // Python's round is half to even: 10x5 at gain 0.5 gives height round(2.5) = 2.
  const LetterboxGeometry half = letterbox_geometry(10, 5, target(5, 5, false));
  EXPECT_EQ(half.resized_width, 5);
  EXPECT_EQ(half.resized_height, 2);
  EXPECT_EQ(half.pad_top, 1);  // pad 3: round(1.4) = 1 top, round(1.6) = 2 bottom
  EXPECT_EQ(half.output_height, 5);
}

TEST(LetterboxGeometry, NoScaleupAndScaleFill) {
  LetterboxOptions o = target(640, 640, true);
  o.scaleup = false;
  const LetterboxGeometry small = letterbox_geometry(100, 50, o);
  EXPECT_EQ(small.resized_width, 100);
  EXPECT_EQ(small.gain_x, 1.0);
  EXPECT_EQ(small.output_width, 128);  // (640 - 100) mod 32 = 28 -> 14 + 14
  EXPECT_EQ(small.output_height, 64);  // (640 - 50) mod 32 = 14 -> 7 + 7
  EXPECT_EQ(small.pad_left, 14);
  EXPECT_EQ(small.pad_top, 7);
  LetterboxOptions f = target(640, 320, false);
  f.scale_fill = true;
  const LetterboxGeometry fill = letterbox_geometry(100, 50, f);
  EXPECT_EQ(fill.output_width, 640);
  EXPECT_EQ(fill.output_height, 320);
  EXPECT_EQ(fill.pad_left + fill.pad_top, 0);
  EXPECT_DOUBLE_EQ(fill.gain_x, 6.4);
  EXPECT_DOUBLE_EQ(fill.gain_y, 6.4);
  EXPECT_THROW(letterbox_geometry(0, 10, o), Error);
}

TEST(ResizeBilinear, HalfPixelCentresAndEdgeClamp) {
  // Up 2x: source positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped) -> 0, 25, 75, 100.
  const uint8_t row[2] = {0, 100};
  EXPECT_EQ(resize_bilinear(row, 2, 1, 1, 4, 1), (std::vector<uint8_t>{0, 25, 75, 100}));
  // Down 2x: positions 0.5 and 2.5 average neighbouring pairs (no antialiasing beyond that).
  const uint8_t four[4] = {10, 20, 30, 41};
  EXPECT_EQ(resize_bilinear(four, 4, 1, 1, 2, 1), (std::vector<uint8_t>{15, 36}));  // 35.5 -> 36 (even)
  // Down 3x samples the centre pixel exactly: position 1, 4.
  const uint8_t six[6] = {0, 50, 0, 0, 70, 0};
  EXPECT_EQ(resize_bilinear(six, 6, 1, 1, 2, 1), (std::vector<uint8_t>{50, 70}));
  // Vertical pass and channels: a 1x2 RGB column to 1x4.
  const uint8_t col[6] = {0, 10, 200, 100, 30, 0};
  EXPECT_EQ(resize_bilinear(col, 1, 2, 3, 1, 4),
            (std::vector<uint8_t>{0, 10, 200, 25, 15, 150, 75, 25, 50, 100, 30, 0}));
}

TEST(Letterbox, PadsWithGreyAroundTheResizedImage) {
  // A 4x2 white RGB image into 8x8 (fixed square): gain 2, 8x4, pad 2 above and below.
  std::vector<uint8_t> white(4 * 2 * 3, 255);
  const LetterboxGeometry g = letterbox_geometry(4, 2, target(8, 8, false));
  const std::vector<uint8_t> out = letterbox(white.data(), 3, g);
  ASSERT_EQ(out.size(), 8u * 8u * 3u);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      EXPECT_EQ(out[(y * 8 + x) * 3 + 1], (y >= 2 && y < 6) ? 255 : 114) << x << "," << y;
  const Tensor t = hwc_to_chw_tensor(out.data(), 8, 8, 3);
  EXPECT_EQ(t.shape(), (Shape{1, 3, 8, 8}));
  EXPECT_FLOAT_EQ(static_cast<float>(t.at(0)), 114.f / 255.f);
  EXPECT_FLOAT_EQ(static_cast<float>(t.at(2 * 64 + 3 * 8 + 5)), 1.f);
}

// The golden input was made from bus.jpg by another JPEG decoder and the same resize rule. Fed PIL's
// decoding of bus.jpg, this letterbox reproduces bus.input.f32 bit for bit (checked once by hand); stb_image's
// decoder differs from libjpeg by up to 3 levels in about 6 % of the values (mean 0.064 levels), so that is
// what this test can require: within 4 levels, mean below 0.1. The input comes from the input pipeline's rule
// yolov5 (input_pipeline.h), what `detect` does with a YOLOv5 checkpoint.
TEST(LetterboxGolden, BusInputTensorFromJpeg) {
  YP_REQUIRE_SHARED(jpg, "data/coco_samples/bus.jpg");
  YP_REQUIRE_SHARED(golden, "golden/yolov5n_coco/bus.input.f32");
  imgproc::ReadOptions read;
  read.keep_rgb = true;
  const Tensor t = network_input(imgproc::read_image(jpg, read), InputPipeline{}, 32).input;
  ASSERT_EQ(t.shape(), (Shape{1, 3, 640, 480}));

  std::ifstream f(golden, std::ios::binary);
  std::vector<float> ref(static_cast<size_t>(t.numel()));
  f.read(reinterpret_cast<char*>(ref.data()), static_cast<std::streamsize>(ref.size() * sizeof(float)));
  ASSERT_EQ(static_cast<size_t>(f.gcount()), ref.size() * sizeof(float));
  const float* ours = t.data<float>();
  int max_levels = 0;
  size_t differing = 0;
  double sum_abs = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const int d = std::abs(static_cast<int>(std::lround(ours[i] * 255.f)) - static_cast<int>(std::lround(ref[i] * 255.f)));
    max_levels = std::max(max_levels, d);
    differing += d != 0;
    sum_abs += d;
  }
  const double mean_levels = sum_abs / static_cast<double>(ref.size());
  std::printf("bus.jpg letterbox vs golden input: max %d levels, mean %.4f levels, %.2f%% of values differ\n",
              max_levels, mean_levels, 100.0 * static_cast<double>(differing) / static_cast<double>(ref.size()));
  EXPECT_LE(mean_levels, 0.1);
  EXPECT_LE(max_levels, 4);
}

}  // namespace
}  // namespace yp::yolo
