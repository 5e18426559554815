// test_mrc.cpp: MRC2014 round trips in every mode and byte order, stacks, extended headers, pixel
// size, and refusal of truncated / absurd / wrong-mode files with one-line messages naming the file.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "imgproc/mrc.h"
#include "util/atomic_file.h"
#include "tests/imgproc/golden.h"

using namespace yp::imgproc;

namespace {

// A hand-built MRC file: header fields set explicitly, data appended by the caller.
struct MrcBytes {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(1024, 0);
  bool big = false;
  void i32(size_t off, int32_t v) {
    uint32_t u = (uint32_t)v;
    for (int k = 0; k < 4; ++k) bytes[off + (big ? 3 - k : k)] = (uint8_t)(u >> (8 * k));
  }
  void f32(size_t off, float v) {
    int32_t u;
    std::memcpy(&u, &v, 4);
    i32(off, u);
  }
  MrcBytes(int nx, int ny, int nz, int mode, bool big_endian = false) : big(big_endian) {
    i32(0, nx), i32(4, ny), i32(8, nz), i32(12, mode);
    i32(28, nx), i32(32, ny), i32(36, 1);
    f32(40, 2.2f * nx), f32(44, 2.2f * ny), f32(48, 2.2f);
    i32(64, 1), i32(68, 2), i32(72, 3);
    std::memcpy(bytes.data() + 208, "MAP ", 4);
    bytes[212] = big ? 0x11 : 0x44, bytes[213] = big ? 0x11 : 0x44;
  }
  void append16(uint16_t v) {
    bytes.push_back(big ? v >> 8 : v & 0xff);
    bytes.push_back(big ? v & 0xff : v >> 8);
  }
  MrcImage parse(const MrcReadOptions& o = {}) const { return parse_mrc(bytes.data(), bytes.size(), "test.mrc", o); }
};

std::string error_of(const MrcBytes& m, const MrcReadOptions& o = {}) {
  try {
    m.parse(o);
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "";
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("yp_imgproc_" + name)).string();
}

}  // namespace

TEST(Mrc, Int16BothByteOrders) {
  for (bool big : {false, true}) {
    MrcBytes m(3, 2, 1, 1, big);
    for (int v : {-3, 0, 7, 300, -32768, 32767}) m.append16((uint16_t)(int16_t)v);
    const MrcImage r = m.parse();
    EXPECT_EQ(r.info.big_endian, big);
    ASSERT_EQ(r.image.width, 3);
    ASSERT_EQ(r.image.height, 2);
    EXPECT_FLOAT_EQ(r.image.at(0, 0), -3);
    EXPECT_FLOAT_EQ(r.image.at(0, 1), 300);  // row 1 = MRC y = 1: the fourth value stored
    EXPECT_FLOAT_EQ(r.image.at(2, 1), 32767);
    EXPECT_NEAR(r.info.pixel_size, 2.2, 1e-6);
  }
}

TEST(Mrc, Int8Uint16Float16) {
  MrcBytes m8(2, 1, 1, 0);
  m8.bytes.push_back(0xff), m8.bytes.push_back(5);
  EXPECT_FLOAT_EQ(m8.parse().image.data[0], -1);  // MRC2014: mode 0 is signed
  MrcBytes m6(2, 1, 1, 6);
  m6.append16(65535), m6.append16(1);
  EXPECT_FLOAT_EQ(m6.parse().image.data[0], 65535);
  MrcBytes m12(4, 1, 1, 12);
  for (uint16_t h : {0x3c00, 0xc000, 0x0001, 0x7bff}) m12.append16(h);  // 1, -2, 2^-24, 65504
  const Image f = m12.parse().image;
  EXPECT_FLOAT_EQ(f.data[0], 1.f);
  EXPECT_FLOAT_EQ(f.data[1], -2.f);
  EXPECT_FLOAT_EQ(f.data[2], std::ldexp(1.f, -24));
  EXPECT_FLOAT_EQ(f.data[3], 65504.f);
}

TEST(Mrc, ExtendedHeaderIsSkipped) {
  MrcBytes m(2, 1, 1, 1);
  m.i32(92, 100);
  m.bytes.resize(1124, 0xee);
  m.append16(11), m.append16(12);
  EXPECT_FLOAT_EQ(m.parse().image.data[1], 12);
}

TEST(Mrc, StacksNeedASection) {
  MrcBytes m(1, 1, 3, 1);
  for (int v : {10, 20, 30}) m.append16((uint16_t)v);
  EXPECT_NE(error_of(m).find("stack of 3 sections"), std::string::npos);
  MrcReadOptions o;
  o.section = 2;
  EXPECT_FLOAT_EQ(m.parse(o).image.data[0], 30);
  o.section = 3;
  EXPECT_NE(error_of(m, o).find("does not exist"), std::string::npos);
}

TEST(Mrc, UnknownPixelSizeWhenMxIsZero) {
  MrcBytes m(1, 1, 1, 1);
  m.i32(28, 0);
  m.append16(1);
  EXPECT_EQ(m.parse().info.pixel_size, 0);
}

TEST(Mrc, RefusesBadFilesWithOneLine) {
  MrcBytes truncated(100, 100, 1, 2);
  EXPECT_NE(error_of(truncated).find("truncated"), std::string::npos);
  MrcBytes absurd(1 << 30, 1 << 30, 1, 2);  // 2^60 pixels: must be refused before any allocation
  EXPECT_NE(error_of(absurd).find("truncated"), std::string::npos);
  MrcBytes huge_nx(0, 1, 1, 2);
  huge_nx.i32(0, INT32_MIN);
  EXPECT_NE(error_of(huge_nx).find("bad size"), std::string::npos);
  MrcBytes negative_ext(1, 1, 1, 1);
  negative_ext.i32(92, -5);
  EXPECT_NE(error_of(negative_ext).find("negative extended header"), std::string::npos);
  MrcBytes complex(1, 1, 1, 4);
  EXPECT_NE(error_of(complex).find("complex"), std::string::npos);
  MrcBytes mode_bad(1, 1, 1, 7);
  EXPECT_NE(error_of(mode_bad).find("unknown data mode 7"), std::string::npos);
  const std::vector<uint8_t> tiny(10, 0);
  EXPECT_THROW(parse_mrc(tiny.data(), tiny.size(), "tiny.mrc"), yp::Error);
  for (const std::string& e : {error_of(truncated), error_of(absurd), error_of(mode_bad)}) {
    EXPECT_EQ(e.rfind("test.mrc: ", 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(Mrc, PermissiveModeToleratesOldHeaders) {
  MrcBytes m(2, 1, 1, 1);
  std::memset(m.bytes.data() + 208, 0, 8);  // no MAP, no machine stamp
  m.i32(64, 0), m.i32(68, 0), m.i32(72, 0);
  m.append16(4), m.append16(5);
  EXPECT_NE(error_of(m).find("MAP"), std::string::npos);
  MrcReadOptions o;
  o.permissive = true;
  const MrcImage r = m.parse(o);
  EXPECT_FLOAT_EQ(r.image.data[1], 5);
  EXPECT_GE(r.info.warnings.size(), 2u);
}

TEST(Mrc, PermissiveGuessesBigEndianWithoutStamp) {
  MrcBytes m(2, 1, 1, 1, true);
  m.bytes[212] = m.bytes[213] = 0;
  m.append16(258), m.append16(3);
  MrcReadOptions o;
  o.permissive = true;
  const MrcImage r = m.parse(o);
  EXPECT_TRUE(r.info.big_endian);
  EXPECT_FLOAT_EQ(r.image.data[0], 258);
}

TEST(Mrc, NonFiniteFloatsAreRefusedUnlessPermissive) {
  MrcBytes m(1, 1, 1, 2);
  const float nan = std::nanf("");
  m.bytes.resize(1028);
  std::memcpy(m.bytes.data() + 1024, &nan, 4);
  EXPECT_NE(error_of(m).find("NaN"), std::string::npos);
  MrcReadOptions o;
  o.permissive = true;
  EXPECT_EQ(m.parse(o).image.data[0], 0.f);
}

TEST(Mrc, WriteReadRoundTripFloat32AndFloat16) {
  const Image img = yp::test::random_image(37, 23, 4, -2.f, 5.f);
  const std::string path = temp_path("roundtrip.mrc");
  write_mrc(path, img, 1.1);
  const MrcImage r = read_mrc(path);
  EXPECT_TRUE(yp::test::images_close(r.image, img, 0));
  EXPECT_NEAR(r.info.pixel_size, 1.1, 1e-6);
  EXPECT_TRUE(r.info.warnings.empty());
  write_mrc(path, img, 1.1, 12);
  EXPECT_TRUE(yp::test::images_close(read_mrc(path).image, img, 0, 1.0 / 1024));  // half: 11-bit mantissa
  EXPECT_FALSE(std::filesystem::exists(yp::temporary_path(path)));
  std::filesystem::remove(path);
}

TEST(Mrc, ReadsTheRealKlhMicrograph) {
  YP_REQUIRE_SHARED(path, "data/klh_nramm_png/mrc/01nov26b.008.001.001.002.int16.mrc");
  const MrcImage r = read_mrc(path);
  EXPECT_EQ(r.image.width, 2048);
  EXPECT_EQ(r.image.height, 2048);
  EXPECT_EQ(r.info.mode, 1);
  float lo = r.image.data[0], hi = lo;
  for (float v : r.image.data) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_LT(lo, hi);
}

// A big-endian file stamped little-endian used to say "unknown data mode 33554432"; the message names the byte order.
TEST(Mrc, AByteSwappedHeaderIsNamedAsSuch) {
  MrcBytes m(2, 1, 1, 2, true);
  m.bytes[212] = m.bytes[213] = 0x44;  // the stamp claims little-endian
  const std::string e = error_of(m);
  EXPECT_NE(e.find("test.mrc: the header is byte-swapped"), std::string::npos) << e;
  EXPECT_NE(e.find("big-endian gives sensible values (mode 2, NX 2)"), std::string::npos) << e;
  EXPECT_EQ(e.find("33554432"), std::string::npos) << e;
}
