// test_image_io.cpp: PNG round trips (8 and 16 bit), format sniffing, broken TIFF, bad files (TIFF reading:
// test_tiff.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "tests/imgproc/golden.h"

using namespace yp::imgproc;

namespace {
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("yp_imgproc_" + name)).string();
}
void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write((const char*)b.data(), (std::streamsize)b.size());
}
std::string error_of(const std::string& path) {
  try {
    read_image(path);
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ImageIo, Png8RoundTrip) {
  Image img(5, 3);
  for (size_t i = 0; i < img.size(); ++i) img.data[i] = (float)i / 14.f;
  const std::string path = temp_path("a.png");
  write_png(path, img);
  const LoadedImage r = read_image(path);
  EXPECT_EQ(r.format, "png");
  ASSERT_EQ(r.image.width, 5);
  ASSERT_EQ(r.image.height, 3);
  for (size_t i = 0; i < img.size(); ++i) EXPECT_FLOAT_EQ(r.image.data[i], std::round(255.f * img.data[i]));
  std::filesystem::remove(path);
}

TEST(ImageIo, MrcIsSniffedWhateverTheExtension) {
  const Image img = yp::test::random_image(4, 4, 1);
  const std::string path = temp_path("micrograph.dat");
  write_mrc(path, img, 2.0);
  const LoadedImage r = read_image(path);
  EXPECT_EQ(r.format, "mrc");
  EXPECT_NEAR(r.pixel_size, 2.0, 1e-6);
  std::filesystem::remove(path);
}

// detect keeps a colour picture's R, G, B for an RGB network; the gray plane is stb's luma either way.
TEST(ImageIo, ColourPicturesKeepTheirChannelsWhenAsked) {
  const int w = 3, h = 2;
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(37 * i);
  const std::string path = temp_path("colour.png");
  write_png(path, rgb.data(), w, h, 3);
  ReadOptions o;
  o.keep_rgb = true;
  const LoadedImage r = read_image(path, o);
  EXPECT_EQ(r.rgb, rgb);
  for (int i = 0; i < w * h; ++i)
    EXPECT_FLOAT_EQ(r.image.data[i], (77.f * rgb[3 * i] + 150.f * rgb[3 * i + 1] + 29.f * rgb[3 * i + 2]) / 256.f);
  EXPECT_TRUE(read_image(path).rgb.empty());  // not asked
  write_png(path, Image(w, h, 0.5f));         // gray pictures have no colour to keep
  EXPECT_TRUE(read_image(path, o).rgb.empty());
  std::filesystem::remove(path);
}

// The size of a picture or micrograph from its header alone (what YOLO txt labels need).
TEST(ImageIo, SizeFromTheHeaderAlone) {
  const std::string png = temp_path("size.png"), mrc = temp_path("size.mrc");
  write_png(png, Image(7, 5, 0.5f));
  write_mrc(mrc, Image(9, 4, 1.f));
  EXPECT_EQ(read_image_size(png), (std::pair<int, int>{7, 5}));
  EXPECT_EQ(read_image_size(mrc), (std::pair<int, int>{9, 4}));
  std::filesystem::resize_file(mrc, 600);  // shorter than the header
  EXPECT_THROW(read_image_size(mrc), yp::Error);
  EXPECT_THROW(read_image_size(temp_path("no_such.png")), yp::Error);
  std::filesystem::remove(png);
  std::filesystem::remove(mrc);
}

TEST(ImageIo, BrokenTiffGivesOneLine) {
  const std::string path = temp_path("movie.tif");
  write_bytes(path, {'I', 'I', 42, 0, 8, 0, 0, 0});
  const std::string e = error_of(path);
  EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  std::filesystem::remove(path);
}

TEST(ImageIo, GarbageAndMissingFilesGiveOneLine) {
  const std::string path = temp_path("garbage.png");
  write_bytes(path, {0x89, 'P', 'N', 'G', 1, 2, 3});
  const std::string e = error_of(path);
  EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_NE(error_of(temp_path("does_not_exist.png")).find("no such file"), std::string::npos);
  EXPECT_NE(error_of(std::filesystem::temp_directory_path().string()).find("not a regular file"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(ImageIo, AbsurdPngHeaderIsRefusedBeforeDecoding) {
  // A valid PNG signature + IHDR claiming 20000 x 20000 pixels: 4e8 > kMaxPixels, yet under stb's own
  // 2^30 limit, so it is our check that refuses it.
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                            0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 0, 0, 0, 0, 0, 0, 0, 0};
  try {
    decode_picture(b.data(), b.size(), "absurd.png");
    FAIL() << "no error";
  } catch (const yp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

TEST(ImageIo, SixteenBitPgmIsRefused) {
  // P5, 2 x 1, maxval 1000: stb 2.27 returns these samples byte-swapped and overflows its buffer when
  // converting channels (found by fuzz_picture), so 16-bit PNM is refused with a message.
  std::vector<uint8_t> b = {'P', '5', '\n', '2', ' ', '1', '\n', '1', '0', '0', '0', '\n', 0x03, 0xe8, 0x01, 0x02};
  EXPECT_THROW(decode_picture(b.data(), b.size(), "a.pgm"), yp::Error);
  b[9] = '0', b[10] = '0', b[8] = '2', b[7] = ' ';  // maxval " 200": 8-bit, read normally
  b.resize(14);
  const Image img = decode_picture(b.data(), b.size(), "b.pgm");
  ASSERT_EQ(img.width, 2);
  EXPECT_FLOAT_EQ(img.data[0], 3.f);
  EXPECT_FLOAT_EQ(img.data[1], 232.f);
}

TEST(ImageIo, ReadsTheRealPictures) {
  YP_REQUIRE_SHARED(klh, "data/klh_nramm_png/01nov26b.008.001.001.002.png");
  const LoadedImage r = read_image(klh);
  EXPECT_EQ(r.image.width, 2048);
  EXPECT_EQ(r.image.height, 2048);
  YP_REQUIRE_SHARED(bgal, "data/empiar10017_bgal_cryosegnet/images/Falcon_2012_06_12-14_33_35_0.jpg");
  EXPECT_EQ(read_image(bgal).format, "jpeg");
}
