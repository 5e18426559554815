// image_io.cpp: format sniffing, stb_image decoding with size checks first, PNG writing.
#include "imgproc/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "imgproc/normalize.h"
#include "imgproc/tiff.h"
#include "util/atomic_file.h"
#include "util/text.h"

namespace yp::imgproc {
namespace {

bool is_tiff(const uint8_t* b, size_t n) {
  return n >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) ||
                    (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42));
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path + ": cannot determine the file size");
  // A compressed picture of kMaxPixels 16-bit pixels never needs more bytes than the raw pixels.
  if (size > kMaxPixels * 8) throw Error(path + ": file too large for a picture (" + std::to_string(size) + " bytes)");
  std::vector<uint8_t> bytes((size_t)size);
  in.seekg(0);
  in.read((char*)bytes.data(), size);
  if (!in) throw Error(path + ": read error");
  return bytes;
}

const char* stb_format_name(const uint8_t* b, size_t n) {
  if (n >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
  if (n >= 3 && b[0] == 0xff && b[1] == 0xd8) return "jpeg";
  if (n >= 2 && b[0] == 'B' && b[1] == 'M') return "bmp";
  if (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return "pnm";
  return "tga";  // stb recognises TGA by its header fields, there is no magic number
}

}  // namespace

Image decode_picture(const uint8_t* bytes, size_t size, const std::string& name, std::vector<uint8_t>* rgb) {
  if (size > (size_t)INT32_MAX) throw Error(name + ": file too large");
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(bytes, (int)size, &w, &h, &channels))
    throw Error(name + ": not a readable PNG/JPEG/BMP/TGA/PNM picture (" + stbi_failure_reason() + ")");
  if (w <= 0 || h <= 0 || (int64_t)w * h > kMaxPixels)
    throw Error(name + ": picture size " + std::to_string(w) + "x" + std::to_string(h) + " is out of range");
  // Decoded with the file's own channel count (req_comp 0) and converted to gray here: stb 2.27's
  // conversion of 16-bit PNM data runs its 8-bit converter and returns half the buffer it promises
  // (found by tests/fuzz/fuzz_picture). Its 16-bit PNM samples also come out byte-swapped, so 16-bit
  // PGM/PPM is refused rather than read wrong.
  const bool sixteen = stbi_is_16_bit_from_memory(bytes, (int)size);
  if (sixteen && size >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6')
    throw Error(name + ": 16-bit PGM/PPM is not supported (stb 2.27 misreads it); use 16-bit PNG or MRC");
  int rw = 0, rh = 0, rc = 0;
  void* raw = sixteen ? (void*)stbi_load_16_from_memory(bytes, (int)size, &rw, &rh, &rc, 0)
                      : (void*)stbi_load_from_memory(bytes, (int)size, &rw, &rh, &rc, 0);
  std::unique_ptr<void, void (*)(void*)> owner(raw, stbi_image_free);
  if (!raw) throw Error(name + ": cannot decode (" + std::string(stbi_failure_reason()) + ")");
  if (rw != w || rh != h || rc < 1 || rc > 4) throw Error(name + ": decoder returned an unexpected shape");
  Image img(rw, rh);
  const auto gray = [&](auto* px) {
    for (size_t i = 0; i < img.size(); ++i) {
      const auto* p = px + i * (size_t)rc;
      // stb's own luma weights (stbi__compute_y): (77 R + 150 G + 29 B) / 256; alpha is ignored.
      img.data[i] = rc >= 3 ? (float)(77 * (unsigned)p[0] + 150 * (unsigned)p[1] + 29 * (unsigned)p[2]) / 256.f
                            : (float)p[0];
    }
  };
  if (sixteen) gray((const stbi_us*)raw);
  else gray((const stbi_uc*)raw);
  if (rgb && !sixteen && rc >= 3) {
    const stbi_uc* px = (const stbi_uc*)raw;
    rgb->resize(img.size() * 3);
    for (size_t i = 0; i < img.size(); ++i)
      for (int k = 0; k < 3; ++k) (*rgb)[3 * i + k] = px[i * (size_t)rc + k];
  }
  return img;
}

LoadedImage read_image(const std::string& path, const ReadOptions& options) {
  if (!std::filesystem::exists(path)) throw Error(path + ": no such file");
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": not a regular file");
  const std::string ext = lower_extension(path);
  LoadedImage out;
  const bool mrc_ext = ext == ".mrc" || ext == ".mrcs" || ext == ".map" || ext == ".st" || ext == ".ali" || ext == ".rec";
  uint8_t head[1024] = {};
  size_t head_size = 0;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open");
    in.read((char*)head, sizeof head);
    head_size = (size_t)in.gcount();
  }
  if (mrc_ext || looks_like_mrc(head, head_size)) {
    MrcImage m = read_mrc(path, options.mrc);
    out.image = std::move(m.image);
    out.format = "mrc";
    out.pixel_size = m.info.pixel_size;
    out.warnings = std::move(m.info.warnings);
    return out;
  }
  if (is_tiff(head, head_size) || ext == ".tif" || ext == ".tiff") {
    TiffImage t = read_tiff(path, options.mrc.section, options.mrc.permissive);
    out.image = std::move(t.image);
    out.format = "tiff";
    out.warnings = std::move(t.warnings);
    if (t.pages > 1 && options.mrc.section < 0)
      out.warnings.push_back("the sum of its " + std::to_string(t.pages) + " pages (--section K takes one)");
    return out;
  }
  const std::vector<uint8_t> bytes = read_all(path);
  out.image = decode_picture(bytes.data(), bytes.size(), path, options.keep_rgb ? &out.rgb : nullptr);
  out.format = stb_format_name(bytes.data(), bytes.size());
  return out;
}

std::pair<int, int> read_image_size(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".mrc" || ext == ".mrcs") {
    MrcReadOptions o;
    o.section = 0;
    o.permissive = true;
    const MrcInfo info = read_mrc_info(path, o);
    return {info.nx, info.ny};
  }
  if (ext == ".tif" || ext == ".tiff") {
    const Image page = read_tiff(path, 0, true).image;
    return {page.width, page.height};
  }
  int w = 0, h = 0, c = 0;
  if (!stbi_info(path.c_str(), &w, &h, &c))
    throw Error(path + ": cannot read the image size (" + stbi_failure_reason() + ")");
  return {w, h};
}

void write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels) {
  std::string png;  // encoded in memory, then written through the one atomic writer
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), (size_t)size);
  };
  if (!stbi_write_png_to_func(append, &png, width, height, channels, pixels, width * channels))
    throw Error(path + ": cannot encode the PNG");
  write_file_atomic(path, png);
}

void write_png(const std::string& path, const Image& image01) {
  const std::vector<uint8_t> bytes = to_uint8(image01);
  write_png(path, bytes.data(), image01.width, image01.height, 1);
}

}  // namespace yp::imgproc
