// tiff.cpp: TIFF pages through libtiff, decoded to float and summed (tiff.h).
#include "imgproc/tiff.h"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "imgproc/image_io.h"
#include "util/error.h"

namespace yp::imgproc {
namespace {

// libtiff reports through handlers that print to stderr; ours keep the last message for the Error line. Warnings
// (unknown private tags of detector software, which every EER/K3 TIFF has) are dropped.
thread_local std::string last_tiff_error;

void keep_error(const char* module, const char* format, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, format, ap);
  last_tiff_error = (module ? std::string(module) + ": " : std::string()) + buf;
}
void drop_warning(const char*, const char*, va_list) {}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  const std::string detail = last_tiff_error.empty() ? "" : " (libtiff: " + last_tiff_error + ")";
  throw Error(path + ": " + problem + detail);
}

struct Format {
  int bits = 0, format = SAMPLEFORMAT_UINT, samples = 1;
};

// One sample of `bits` bits at index i of a decoded row, as float.
float sample(const uint8_t* row, size_t i, const Format& f) {
  switch (f.bits) {
    case 8:
      return f.format == SAMPLEFORMAT_INT ? (float)((const int8_t*)row)[i] : (float)row[i];
    case 16:
      return f.format == SAMPLEFORMAT_INT ? (float)((const int16_t*)row)[i] : (float)((const uint16_t*)row)[i];
    case 32:
      if (f.format == SAMPLEFORMAT_IEEEFP) return ((const float*)row)[i];
      return f.format == SAMPLEFORMAT_INT ? (float)((const int32_t*)row)[i] : (float)((const uint32_t*)row)[i];
    default:  // 64-bit float
      return (float)((const double*)row)[i];
  }
}

// Pixel i of a row with f.samples samples per pixel: the sample, or stb's luma for RGB(A).
float pixel(const uint8_t* row, size_t i, const Format& f) {
  if (f.samples == 1) return sample(row, i, f);
  const size_t k = i * (size_t)f.samples;
  return (77.f * sample(row, k, f) + 150.f * sample(row, k + 1, f) + 29.f * sample(row, k + 2, f)) / 256.f;
}

Format page_format(TIFF* tif, const std::string& path) {
  uint16_t bits = 1, format = SAMPLEFORMAT_UINT, samples = 1, planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  const bool integer = format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_INT;
  const bool ok = (integer && (bits == 8 || bits == 16 || bits == 32)) ||
                  (format == SAMPLEFORMAT_IEEEFP && (bits == 32 || bits == 64));
  if (!ok)
    fail(path, std::to_string(bits) + "-bit samples of format " + std::to_string(format) +
                   " are not supported (8/16/32-bit integer, 32/64-bit float)");
  if (samples != 1 && !(samples >= 3 && samples <= 4 && integer && bits <= 16))
    fail(path, std::to_string(samples) + " samples per pixel are not supported (gray, or RGB/RGBA)");
  if (samples > 1 && planar != PLANARCONFIG_CONTIG) fail(path, "separate colour planes are not supported");
  return {bits, format, samples};
}

// The current page, added into `sum` (width x height).
void add_page(TIFF* tif, const std::string& path, const Format& f, Image& sum) {
  const uint32_t w = (uint32_t)sum.width, h = (uint32_t)sum.height;
  if (TIFFIsTiled(tif)) {
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    const tmsize_t tile_bytes = TIFFTileSize(tif);
    if (tw == 0 || th == 0 || tile_bytes <= 0 || (uint64_t)tw * th > (uint64_t)kMaxPixels) fail(path, "bad tile size");
    std::vector<uint8_t> tile((size_t)tile_bytes);
    const size_t row_bytes = (size_t)tile_bytes / th;
    for (uint32_t y0 = 0; y0 < h; y0 += th)
      for (uint32_t x0 = 0; x0 < w; x0 += tw) {
        if (TIFFReadTile(tif, tile.data(), x0, y0, 0, 0) < 0) fail(path, "cannot decode a tile");
        for (uint32_t y = y0; y < std::min(h, y0 + th); ++y)
          for (uint32_t x = x0; x < std::min(w, x0 + tw); ++x)
            sum.data[(size_t)y * w + x] += pixel(tile.data() + (y - y0) * row_bytes, x - x0, f);
      }
    return;
  }
  const tmsize_t line_bytes = TIFFScanlineSize(tif);
  if (line_bytes <= 0 || (uint64_t)line_bytes < (uint64_t)w * f.samples * (f.bits / 8)) fail(path, "bad row size");
  std::vector<uint8_t> line((size_t)line_bytes);
  for (uint32_t y = 0; y < h; ++y) {
    if (TIFFReadScanline(tif, line.data(), y, 0) < 0) fail(path, "cannot decode row " + std::to_string(y));
    float* out = sum.data.data() + (size_t)y * w;
    for (uint32_t x = 0; x < w; ++x) out[x] += pixel(line.data(), x, f);
  }
}

// The file's bytes as libtiff's client I/O: reads within the buffer, no writing, no mapping.
struct MemoryFile {
  const uint8_t* data;
  toff_t size, pos;
};
tmsize_t memory_read(thandle_t h, void* buf, tmsize_t n) {
  auto* f = static_cast<MemoryFile*>(h);
  if (n <= 0 || f->pos >= f->size) return 0;
  const toff_t k = std::min<toff_t>((toff_t)n, f->size - f->pos);
  std::memcpy(buf, f->data + f->pos, (size_t)k);
  f->pos += k;
  return (tmsize_t)k;
}
tmsize_t memory_write(thandle_t, void*, tmsize_t) { return 0; }
toff_t memory_seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  const toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->size;
  if (off > (toff_t)INT64_MAX - base) return (toff_t)-1;
  f->pos = base + off;
  return f->pos;
}
int memory_close(thandle_t) { return 0; }
toff_t memory_size(thandle_t h) { return static_cast<MemoryFile*>(h)->size; }
int memory_map(thandle_t, void**, toff_t*) { return 0; }
void memory_unmap(thandle_t, void*, toff_t) {}

}  // namespace

// The pages of an open TIFF (from a file or from memory) into one image.
// `file_bytes` bounds what a page may claim: no compression TIFF uses packs more than ~1000 pixel bytes into one
// file byte (Deflate's limit is 1032:1), so a header whose pages could not come from the file is refused before
// any allocation.
static TiffImage read_pages(TIFF* tif, const std::string& path, int page, bool permissive, uint64_t file_bytes) {
  TiffImage out;
  out.pages = (int)TIFFNumberOfDirectories(tif);
  if (out.pages < 1) fail(path, "the TIFF has no pages");
  if (page >= out.pages)
    fail(path, "page " + std::to_string(page) + " does not exist (" + std::to_string(out.pages) + " pages, 0-based)");
  const int first = page < 0 ? 0 : page, last = page < 0 ? out.pages - 1 : page;
  for (int k = first; k <= last; ++k) {
    if (!TIFFSetDirectory(tif, (tdir_t)k)) fail(path, "cannot read page " + std::to_string(k));
    uint32_t w = 0, h = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    if (w == 0 || h == 0 || (uint64_t)w * h > (uint64_t)kMaxPixels)
      fail(path, "page " + std::to_string(k) + " size " + std::to_string(w) + "x" + std::to_string(h) +
                     " is out of range");
    const Format format = page_format(tif, path);
    const uint64_t pixel_bytes = (uint64_t)w * h * (uint64_t)format.samples * (uint64_t)(format.bits / 8);
    if (pixel_bytes > file_bytes * 2000)
      fail(path, "page " + std::to_string(k) + " claims " + std::to_string(w) + "x" + std::to_string(h) +
                     " pixels, more than its " + std::to_string(file_bytes) + "-byte file can hold (damaged?)");
    if (k == first) out.image = Image((int)w, (int)h);
    else if ((int)w != out.image.width || (int)h != out.image.height)
      fail(path, "page " + std::to_string(k) + " is " + std::to_string(w) + "x" + std::to_string(h) +
                     ", page 0 is " + std::to_string(out.image.width) + "x" + std::to_string(out.image.height) +
                     ": pages of different sizes cannot be summed (choose one with --section K)");
    add_page(tif, path, format, out.image);
  }
  size_t bad = 0;
  for (float& v : out.image.data)
    if (!std::isfinite(v)) ++bad, v = 0.f;
  if (bad && !permissive) fail(path, std::to_string(bad) + " pixels are NaN or infinite (--permissive sets them to 0)");
  if (bad) out.warnings.push_back(std::to_string(bad) + " non-finite pixels set to 0");
  return out;
}

TiffImage read_tiff(const std::string& path, int page, bool permissive) {
  last_tiff_error.clear();
  TIFFSetErrorHandler(keep_error);
  TIFFSetWarningHandler(drop_warning);
  std::unique_ptr<TIFF, void (*)(TIFF*)> tif(TIFFOpen(path.c_str(), "r"), TIFFClose);
  if (!tif) fail(path, "not a readable TIFF");
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  return read_pages(tif.get(), path, page, permissive, ec ? 0 : file_bytes);
}

TiffImage decode_tiff(const uint8_t* bytes, size_t size, const std::string& path, int page, bool permissive) {
  last_tiff_error.clear();
  TIFFSetErrorHandler(keep_error);
  TIFFSetWarningHandler(drop_warning);
  MemoryFile file{bytes, (toff_t)size, 0};
  std::unique_ptr<TIFF, void (*)(TIFF*)> tif(
      TIFFClientOpen(path.c_str(), "rm", &file, memory_read, memory_write, memory_seek, memory_close, memory_size,
                     memory_map, memory_unmap),
      TIFFClose);
  if (!tif) fail(path, "not a readable TIFF");
  return read_pages(tif.get(), path, page, permissive, size);
}

}  // namespace yp::imgproc
