// image_io.h: reading any micrograph or picture into an Image, and writing 8-bit PNGs.
// Formats: MRC (mrc.h; by extension .mrc/.mrcs/.map/.st/.ali/.rec or the "MAP" stamp), and through stb_image
// PNG, JPEG, BMP, TGA, PGM/PPM (8 and 16 bit; colour is converted to luma by stb: (77R + 150G + 29B) / 256).
// Values stay in file units: 0..255 for 8-bit, 0..65535 for 16-bit pictures.
// TIFF (8/16/32-bit integer, float, multi-page: one page or the sum) through libtiff (tiff.h); a page is chosen with
// ReadOptions::mrc.section, the same number that chooses an MRC stack's section.
// Row 0 is the file's first row: the top of a PNG/JPEG picture, MRC y = 0 for MRC. Nothing is flipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "imgproc/image.h"
#include "imgproc/mrc.h"

namespace yp::imgproc {

// Largest picture accepted (pixels): 2^27 = a 11585^2 image, above every detector (K3 super-resolution
// is 11520 x 8184). It bounds what a compressed header can make us allocate.
constexpr int64_t kMaxPixels = int64_t(1) << 27;

struct ReadOptions {
  MrcReadOptions mrc;      // section: also the TIFF page (-1: the sum of all pages); permissive: also TIFF NaN/Inf
  bool keep_rgb = false;  // also keep an 8-bit colour picture's R, G, B (LoadedImage::rgb)
};

struct LoadedImage {
  Image image;             // gray, in file units
  std::string format;      // "mrc", "tiff", "png", "jpeg", ...
  double pixel_size = 0;   // Angstrom per pixel when the file says (MRC); 0 = unknown
  std::vector<std::string> warnings;
  std::vector<uint8_t> rgb;  // with keep_rgb, for an 8-bit colour picture: R, G, B interleaved, row by row
};

// Reads PATH; throws Error("PATH: problem") for missing, unsupported, truncated or absurd files.
LoadedImage read_image(const std::string& path, const ReadOptions& options = {});

// Decodes a PNG/JPEG/BMP/TGA/PNM held in memory (stb_image), after checking its header's size
// against kMaxPixels. `name` is used in messages. The fuzz target's entry. With `rgb`, an 8-bit colour
// picture's R, G, B are also kept there (interleaved; left empty for gray and 16-bit pictures).
Image decode_picture(const uint8_t* bytes, size_t size, const std::string& name, std::vector<uint8_t>* rgb = nullptr);

// Width and height from the file's header alone: NX, NY for MRC (section 0 of a stack; read permissively, as
// only the size is wanted), the picture header for PNG/JPEG/... Throws yp::Error naming the file otherwise.
std::pair<int, int> read_image_size(const std::string& path);

// Writes an 8-bit grayscale (channels 1) or RGB (channels 3) PNG via PATH.tmp + rename.
void write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels);

// Writes an Image whose values lie in [0, 1] as 8-bit gray: round(255 * clamp(v, 0, 1)).
void write_png(const std::string& path, const Image& image01);

}  // namespace yp::imgproc
