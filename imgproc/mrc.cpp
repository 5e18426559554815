// mrc.cpp: MRC2014 header validation, section decoding (modes 0/1/2/6/12, either byte order), writer.
// The header is 1024 bytes of 56 4-byte words + 10 labels; the data start at 1024 + NSYMBT and are
// stored data[z][y][x] with x fastest. Validation happens before any allocation: the bytes a section
// needs are computed in 64-bit arithmetic from NX, NY (each < 2^31) and the mode, and compared with
// the file size, so a header cannot make us allocate more than the file holds.
#include "imgproc/mrc.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "util/atomic_file.h"

namespace yp::imgproc {
namespace {

constexpr uint64_t kHeaderBytes = 1024;
constexpr int32_t kImodStamp = 1146047817;  // "IMOD" in IMOD's extra header words, offset 152

uint32_t load_u32(const uint8_t* p, bool big_endian) {
  return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                    : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
int32_t load_i32(const uint8_t* p, bool be) { return (int32_t)load_u32(p, be); }
float load_f32(const uint8_t* p, bool be) {
  const uint32_t u = load_u32(p, be);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t load_u16(const uint8_t* p, bool be) { return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]); }

// IEEE-754 binary16 -> binary32, exact for every input (subnormals, inf, NaN included).
float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31;
  const int exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  float f;
  if (exponent == 0) {
    f = std::ldexp((float)mantissa, -24);  // zero or subnormal
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u |= sign;
    std::memcpy(&f, &u, 4);
    return f;
  }
  const uint32_t u = exponent == 31 ? sign | 0x7f800000u | mantissa << 13
                                    : sign | (uint32_t)(exponent - 15 + 127) << 23 | mantissa << 13;
  std::memcpy(&f, &u, 4);
  return f;
}

// binary32 -> binary16 with round-to-nearest-even; overflow goes to inf.
uint16_t float_to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0);  // inf / NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00;                                      // rounds past 65504
  if (abs < 0x38800000u) {                                                           // subnormal half
    const float scaled = std::ldexp(std::fabs(f), 24);  // in units of 2^-24
    return sign | (uint16_t)std::nearbyint(scaled);
  }
  const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  return sign | (uint16_t)((rounded - (112u << 23)) >> 13);
}

int bytes_per_pixel(int mode) {
  switch (mode) {
    case 0: return 1;
    case 1: case 6: case 12: return 2;
    case 2: return 4;
    default: return 0;
  }
}

bool mode_known(int mode) { return bytes_per_pixel(mode) > 0 || mode == 3 || mode == 4 || mode == 101; }

struct Layout {
  MrcInfo info;
  uint64_t section_offset = 0;  // byte offset of the chosen section
  uint64_t section_bytes = 0;
  int section = 0;
  bool int8_unsigned = false;
};

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw Error(name + ": " + what); }

Layout parse_header(const uint8_t* h, uint64_t file_size, const std::string& name, const MrcReadOptions& opt) {
  if (file_size < kHeaderBytes)
    fail(name, "not an MRC file: " + std::to_string(file_size) + " bytes, shorter than the 1024-byte header");
  Layout L;
  MrcInfo& info = L.info;
  const bool has_map_id = h[208] == 'M' && h[209] == 'A' && h[210] == 'P';
  if (!has_map_id) {
    if (!opt.permissive) fail(name, "no \"MAP\" identifier at byte 208 (not MRC2014; --permissive reads old files)");
    info.warnings.push_back("no MAP identifier");
  }
  // Byte order from the machine stamp; permissive mode guesses it when the stamp is missing or odd.
  const auto plausible = [&](bool be) {
    const int32_t nx = load_i32(h, be), mode = load_i32(h + 12, be);
    return nx > 0 && nx <= (1 << 24) && mode_known(mode);
  };
  const bool stamp_le = h[212] == 0x44 && (h[213] == 0x44 || h[213] == 0x41);
  const bool stamp_be = h[212] == 0x11 && h[213] == 0x11;
  if (stamp_le || stamp_be) {
    info.big_endian = stamp_be;
  } else {
    if (!opt.permissive) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "unknown machine stamp 0x%02x 0x%02x (--permissive guesses the byte order)", h[212],
                    h[213]);
      fail(name, buf);
    }
    info.big_endian = !plausible(false) && plausible(true);
    info.warnings.push_back(std::string("no machine stamp; guessed ") + (info.big_endian ? "big" : "little") + "-endian");
  }
  const bool be = info.big_endian;
  if (!plausible(be) && plausible(!be))  // a stamp that lies about the byte order: say so, not "mode 33554432"
    fail(name, std::string("the header is byte-swapped: its machine stamp says ") + (be ? "big" : "little") +
                   "-endian, but only " + (be ? "little" : "big") + "-endian gives sensible values (mode " +
                   std::to_string(load_i32(h + 12, !be)) + ", NX " + std::to_string(load_i32(h, !be)) +
                   "); fix the stamp at bytes 213-214 or rewrite the file");
  const int32_t nx = load_i32(h, be), ny = load_i32(h + 4, be), nz = load_i32(h + 8, be);
  info.mode = load_i32(h + 12, be);
  info.nsymbt = load_i32(h + 92, be);
  if (nx <= 0 || ny <= 0 || nz <= 0)
    fail(name, "bad size NX, NY, NZ = " + std::to_string(nx) + ", " + std::to_string(ny) + ", " + std::to_string(nz));
  info.nx = nx, info.ny = ny, info.nz = nz;
  if (info.mode == 3 || info.mode == 4) fail(name, "complex data (mode " + std::to_string(info.mode) + ") is not a micrograph");
  if (info.mode == 101) fail(name, "4-bit packed frames (mode 101) are not supported; sum the movie first");
  if (bytes_per_pixel(info.mode) == 0) fail(name, "unknown data mode " + std::to_string(info.mode));
  if (info.nsymbt < 0) fail(name, "negative extended header size NSYMBT = " + std::to_string(info.nsymbt));

  const int32_t mapc = load_i32(h + 64, be), mapr = load_i32(h + 68, be), maps = load_i32(h + 72, be);
  if (!(mapc == 1 && mapr == 2 && maps == 3)) {
    const bool permutation = mapc >= 1 && mapc <= 3 && mapr >= 1 && mapr <= 3 && maps >= 1 && maps <= 3 &&
                             mapc != mapr && mapr != maps && mapc != maps;
    if (permutation)
      fail(name, "axis order MAPC, MAPR, MAPS = " + std::to_string(mapc) + ", " + std::to_string(mapr) + ", " +
                     std::to_string(maps) + " is not supported (only 1, 2, 3)");
    if (!opt.permissive) fail(name, "MAPC, MAPR, MAPS is not a permutation of 1, 2, 3 (--permissive ignores it)");
    info.warnings.push_back("MAPC/MAPR/MAPS not set; assumed 1, 2, 3");
  }
  const int32_t mx = load_i32(h + 28, be);
  const float cella_x = load_f32(h + 40, be);
  if (mx > 0 && std::isfinite(cella_x) && cella_x > 0) info.pixel_size = (double)cella_x / mx;
  if (info.mode == 0 && load_i32(h + 152, be) == kImodStamp && (load_i32(h + 156, be) & 1) == 0) L.int8_unsigned = true;

  // NX, NY < 2^31 and at most 4 bytes per pixel keep one section below 2^64 bytes. The stack size is
  // never multiplied out: the bytes after the header are divided by the section size instead.
  const uint64_t section_bytes = (uint64_t)nx * (uint64_t)ny * (uint64_t)bytes_per_pixel(info.mode);
  const uint64_t data_offset = kHeaderBytes + (uint64_t)info.nsymbt;
  if (data_offset > file_size)
    fail(name, "extended header of " + std::to_string(info.nsymbt) + " bytes runs past the end of the " +
                   std::to_string(file_size) + "-byte file");
  const uint64_t available = file_size - data_offset;
  if (section_bytes > available)
    fail(name, "truncated: one " + std::to_string(nx) + "x" + std::to_string(ny) + " section of mode " +
                   std::to_string(info.mode) + " needs " + std::to_string(section_bytes) + " bytes, the file holds " +
                   std::to_string(available) + " after the header");
  const uint64_t stack_sections = available / section_bytes;
  if (stack_sections < (uint64_t)nz) {
    if (!opt.permissive)
      fail(name, "truncated: NZ = " + std::to_string(nz) + " sections declared, the file holds " +
                     std::to_string(stack_sections));
    info.warnings.push_back("file holds fewer sections than NZ");
  } else if (available > section_bytes * (uint64_t)nz) {
    info.warnings.push_back("file is longer than its header says");
  }
  if (nz > 1 && opt.section < 0)
    fail(name, "a stack of " + std::to_string(nz) + " sections; choose one (--section K, 0-based)");
  L.section = nz > 1 ? opt.section : 0;
  if (L.section < 0 || L.section >= nz || (uint64_t)L.section >= stack_sections)
    fail(name, "section " + std::to_string(opt.section) + " does not exist (NZ = " + std::to_string(nz) + ")");
  L.section_bytes = section_bytes;
  L.section_offset = data_offset + (uint64_t)L.section * section_bytes;
  return L;
}

Image decode_section(const uint8_t* raw, const Layout& L, const std::string& name, const MrcReadOptions& opt,
                     MrcInfo& info) {
  Image img(info.nx, info.ny);
  const size_t n = img.size();
  const bool be = info.big_endian;
  float* out = img.data.data();
  switch (info.mode) {
    case 0:
      for (size_t i = 0; i < n; ++i) out[i] = L.int8_unsigned ? (float)raw[i] : (float)(int8_t)raw[i];
      break;
    case 1:
      for (size_t i = 0; i < n; ++i) out[i] = (float)(int16_t)load_u16(raw + 2 * i, be);
      break;
    case 6:
      for (size_t i = 0; i < n; ++i) out[i] = (float)load_u16(raw + 2 * i, be);
      break;
    case 12:
      for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load_u16(raw + 2 * i, be));
      break;
    case 2:
      for (size_t i = 0; i < n; ++i) out[i] = load_f32(raw + 4 * i, be);
      break;
  }
  if (info.mode == 2 || info.mode == 12) {
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(out[i])) ++bad, out[i] = 0.f;
    if (bad > 0) {
      if (!opt.permissive)
        fail(name, std::to_string(bad) + " pixels are NaN or infinite (--permissive sets them to 0)");
      info.warnings.push_back(std::to_string(bad) + " non-finite pixels set to 0");
    }
  }
  return img;
}

}  // namespace

bool looks_like_mrc(const uint8_t* header, size_t size) {
  return size >= kHeaderBytes && header[208] == 'M' && header[209] == 'A' && header[210] == 'P';
}

MrcImage parse_mrc(const uint8_t* bytes, size_t size, const std::string& name, const MrcReadOptions& options) {
  Layout L = parse_header(bytes, size, name, options);
  MrcImage result;
  result.image = decode_section(bytes + L.section_offset, L, name, options, L.info);
  result.info = std::move(L.info);
  return result;
}

namespace {

// Opens PATH and validates its header against the file size: the layout of the section to read, before any
// large allocation.
Layout read_layout(std::ifstream& in, const std::string& path, const MrcReadOptions& options) {
  if (!in) fail(path, "cannot open");
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 0) fail(path, "cannot determine the file size");
  const uint64_t file_size = (uint64_t)end;
  uint8_t header[kHeaderBytes] = {};
  in.seekg(0);
  in.read((char*)header, (std::streamsize)std::min<uint64_t>(file_size, kHeaderBytes));
  return parse_header(header, file_size, path, options);
}

}  // namespace

MrcInfo read_mrc_info(const std::string& path, const MrcReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  return read_layout(in, path, options).info;
}

MrcImage read_mrc(const std::string& path, const MrcReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  Layout L = read_layout(in, path, options);
  std::vector<uint8_t> raw(L.section_bytes);
  in.seekg((std::streamoff)L.section_offset);
  in.read((char*)raw.data(), (std::streamsize)raw.size());
  if (!in) fail(path, "read error in the data block");
  MrcImage result;
  result.image = decode_section(raw.data(), L, path, options, L.info);
  result.info = std::move(L.info);
  return result;
}

void write_mrc(const std::string& path, const Image& image, double pixel_size, int mode) {
  if (mode != 2 && mode != 12) throw Error(path + ": can only write MRC mode 2 (float32) or 12 (float16)");
  if (image.empty()) throw Error(path + ": refusing to write an empty image");
  uint8_t h[kHeaderBytes] = {};
  const auto put_i32 = [&](size_t off, int32_t v) { std::memcpy(h + off, &v, 4); };  // x86-64: little-endian
  const auto put_f32 = [&](size_t off, float v) { std::memcpy(h + off, &v, 4); };
  double sum = 0, sum2 = 0;
  float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
  for (float v : image.data) sum += v, sum2 += (double)v * v, lo = std::min(lo, v), hi = std::max(hi, v);
  const double n = (double)image.size(), mean = sum / n;
  put_i32(0, image.width), put_i32(4, image.height), put_i32(8, 1), put_i32(12, mode);
  put_i32(28, image.width), put_i32(32, image.height), put_i32(36, 1);
  put_f32(40, (float)(image.width * pixel_size)), put_f32(44, (float)(image.height * pixel_size)),
      put_f32(48, (float)pixel_size);
  put_f32(52, 90.f), put_f32(56, 90.f), put_f32(60, 90.f);
  put_i32(64, 1), put_i32(68, 2), put_i32(72, 3);
  put_f32(76, lo), put_f32(80, hi), put_f32(84, (float)mean);
  put_i32(108, 20140);
  std::memcpy(h + 208, "MAP ", 4);
  h[212] = 0x44, h[213] = 0x44;
  put_f32(216, (float)std::sqrt(std::max(0.0, sum2 / n - mean * mean)));
  put_i32(220, 1);
  std::snprintf((char*)h + 224, 80, "yolopick write_mrc");

  std::string_view pixels;
  std::vector<uint16_t> halves;
  if (mode == 2) {
    pixels = std::string_view((const char*)image.data.data(), image.size() * 4);
  } else {
    halves.resize(image.size());
    for (size_t i = 0; i < image.size(); ++i) halves[i] = float_to_half(image.data[i]);
    pixels = std::string_view((const char*)halves.data(), halves.size() * 2);
  }
  write_file_atomic(path, {std::string_view((const char*)h, kHeaderBytes), pixels});
}

}  // namespace yp::imgproc
