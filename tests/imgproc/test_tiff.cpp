// test_tiff.cpp: TIFF micrographs through read_image - each sample type, strips and tiles, LZW, pages (one or
// the sum), NaN handling and bad requests. The files are written here with libtiff's writer, value by value, so
// every expected pixel is known exactly.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <vector>

#include "imgproc/image_io.h"
#include "imgproc/tiff.h"

using namespace yp::imgproc;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("yp_tiff_" + name)).string();
}

struct PageSpec {
  int width = 7, height = 5;
  int bits = 16;
  int format = SAMPLEFORMAT_UINT;
  int compression = COMPRESSION_NONE;
  bool tiled = false;
};

// The value every test expects at (x, y) of page k: distinct everywhere, small enough for 8-bit.
double value_at(int x, int y, int k) { return 3 * x + 20 * y + k; }

template <class T>
std::vector<T> page_row(const PageSpec& s, int y, int k, const std::function<double(int, int, int)>& f) {
  std::vector<T> row(s.width);
  for (int x = 0; x < s.width; ++x) row[x] = (T)f(x, y, k);
  return row;
}

template <class T>
void write_page(TIFF* tif, const PageSpec& s, int k, const std::function<double(int, int, int)>& f) {
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s.height);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s.bits);
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, s.format);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, s.compression);
  if (s.tiled) {
    // 16 x 16 tiles (TIFF's minimum) over a picture that is not a multiple of them: the reader must clip.
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, 16);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, 16);
    for (int y0 = 0; y0 < s.height; y0 += 16)
      for (int x0 = 0; x0 < s.width; x0 += 16) {
        std::vector<T> tile(16 * 16, T(0));
        for (int y = y0; y < std::min(s.height, y0 + 16); ++y)
          for (int x = x0; x < std::min(s.width, x0 + 16); ++x) tile[(y - y0) * 16 + (x - x0)] = (T)f(x, y, k);
        ASSERT_GE(TIFFWriteTile(tif, tile.data(), x0, y0, 0, 0), 0);
      }
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 2);
    for (int y = 0; y < s.height; ++y) {
      std::vector<T> row = page_row<T>(s, y, k, f);
      ASSERT_EQ(TIFFWriteScanline(tif, row.data(), y, 0), 1);
    }
  }
  ASSERT_TRUE(TIFFWriteDirectory(tif));
}

template <class T>
void write_tiff(const std::string& path, const PageSpec& s, int pages,
                const std::function<double(int, int, int)>& f = value_at) {
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(tif, nullptr);
  for (int k = 0; k < pages; ++k) write_page<T>(tif, s, k, f);
  TIFFClose(tif);
}

void expect_page(const LoadedImage& img, const PageSpec& s, const std::function<double(int, int)>& expected) {
  EXPECT_EQ(img.format, "tiff");
  ASSERT_EQ(img.image.width, s.width);
  ASSERT_EQ(img.image.height, s.height);
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x)
      ASSERT_FLOAT_EQ(img.image.at(x, y), (float)expected(x, y)) << x << "," << y;
}

std::string error_of(const std::string& path, const ReadOptions& o = {}) {
  try {
    read_image(path, o);
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Tiff, EverySampleTypeInStripsAndTiles) {
  struct Case {
    int bits, format;
    bool tiled;
    int compression;
  };
  const Case cases[] = {{8, SAMPLEFORMAT_UINT, false, COMPRESSION_NONE},   {16, SAMPLEFORMAT_UINT, false, COMPRESSION_LZW},
                        {16, SAMPLEFORMAT_INT, true, COMPRESSION_NONE},    {32, SAMPLEFORMAT_IEEEFP, false, COMPRESSION_LZW},
                        {32, SAMPLEFORMAT_IEEEFP, true, COMPRESSION_NONE}, {64, SAMPLEFORMAT_IEEEFP, false, COMPRESSION_NONE},
                        {32, SAMPLEFORMAT_INT, false, COMPRESSION_NONE}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.bits) + "-bit format " + std::to_string(c.format) + (c.tiled ? " tiled" : " strips"));
    PageSpec s;
    s.width = 19;  // wider than a tile, and not a multiple of it
    s.height = 17;
    s.bits = c.bits, s.format = c.format, s.tiled = c.tiled, s.compression = c.compression;
    const std::string path = temp_path("types.tif");
    // Signed formats get negative values, to show the sign is kept.
    const double offset = c.format == SAMPLEFORMAT_INT ? -100 : 0;
    const auto f = [&](int x, int y, int k) { return std::fmod(value_at(x, y, k), c.bits == 8 ? 251 : 1e6) + offset; };
    if (c.bits == 8) write_tiff<uint8_t>(path, s, 1, f);
    else if (c.bits == 16 && c.format == SAMPLEFORMAT_INT) write_tiff<int16_t>(path, s, 1, f);
    else if (c.bits == 16) write_tiff<uint16_t>(path, s, 1, f);
    else if (c.bits == 32 && c.format == SAMPLEFORMAT_INT) write_tiff<int32_t>(path, s, 1, f);
    else if (c.bits == 32) write_tiff<float>(path, s, 1, f);
    else write_tiff<double>(path, s, 1, f);
    expect_page(read_image(path), s, [&](int x, int y) { return (float)f(x, y, 0); });
    EXPECT_EQ(read_image_size(path), std::make_pair(s.width, s.height));
    std::filesystem::remove(path);
  }
}

TEST(Tiff, MultiPageGivesOnePageOrTheSum) {
  PageSpec s;
  const std::string path = temp_path("movie.tif");
  write_tiff<uint16_t>(path, s, 3);
  ReadOptions page1;
  page1.mrc.section = 1;
  expect_page(read_image(path, page1), s, [](int x, int y) { return value_at(x, y, 1); });
  const LoadedImage sum = read_image(path);
  expect_page(sum, s, [](int x, int y) { return value_at(x, y, 0) + value_at(x, y, 1) + value_at(x, y, 2); });
  ASSERT_EQ(sum.warnings.size(), 1u);  // the user is told it is a sum
  EXPECT_NE(sum.warnings[0].find("3 pages"), std::string::npos);
  // The in-memory reader (the fuzz target's entry) reads the same.
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(decode_tiff(bytes.data(), bytes.size(), path).image.data, sum.image.data);
  EXPECT_EQ(decode_tiff(bytes.data(), bytes.size(), path, 1).image.data, read_image(path, page1).image.data);
  ReadOptions page7;
  page7.mrc.section = 7;
  EXPECT_NE(error_of(path, page7).find("page 7 does not exist (3 pages"), std::string::npos) << error_of(path, page7);
  std::filesystem::remove(path);
}

TEST(Tiff, NanPixelsAreRefusedOrZeroedWhenPermissive) {
  PageSpec s;
  s.bits = 32;
  s.format = SAMPLEFORMAT_IEEEFP;
  const std::string path = temp_path("nan.tif");
  write_tiff<float>(path, s, 1, [](int x, int y, int) { return x == 2 && y == 3 ? NAN : 1.0; });
  EXPECT_NE(error_of(path).find("1 pixels are NaN or infinite (--permissive"), std::string::npos) << error_of(path);
  ReadOptions permissive;
  permissive.mrc.permissive = true;
  const LoadedImage img = read_image(path, permissive);
  EXPECT_EQ(img.image.at(2, 3), 0.f);
  EXPECT_EQ(img.image.at(1, 3), 1.f);
  EXPECT_EQ(img.warnings.size(), 1u);
  std::filesystem::remove(path);
}

TEST(Tiff, UnsupportedSamplesAndSizeMismatchesAreOneLine) {
  // Pages of different sizes cannot be summed; one of them can be read.
  const std::string path = temp_path("mixed.tif");
  {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    PageSpec a, b;
    b.width = 9;
    write_page<uint16_t>(tif, a, 0, value_at);
    write_page<uint16_t>(tif, b, 1, value_at);
    TIFFClose(tif);
  }
  EXPECT_NE(error_of(path).find("pages of different sizes cannot be summed"), std::string::npos) << error_of(path);
  ReadOptions second;
  second.mrc.section = 1;
  EXPECT_EQ(read_image(path, second).image.width, 9);
  // 1-bit bilevel pictures are not micrographs.
  {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 1);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    uint8_t row = 0x55;
    TIFFWriteScanline(tif, &row, 0, 0);
    TIFFClose(tif);
  }
  const std::string e = error_of(path);
  EXPECT_NE(e.find("1-bit samples"), std::string::npos) << e;
  EXPECT_EQ(e.rfind(path + ": ", 0), 0u) << e;
  std::filesystem::remove(path);
}
