// tiff.h: TIFF micrographs through libtiff (Debian libtiff-dev): what detectors and motion-correction programs
// write - 8/16/32-bit integer (signed or not) and 32/64-bit float samples, one sample per pixel (colour pictures
// are turned to luma as stb does for PNG: (77 R + 150 G + 29 B) / 256), stored in strips or tiles with any
// compression libtiff decodes (LZW, Deflate, PackBits, ...). A multi-page TIFF (a movie, or a stack) gives one
// page (`page` >= 0, 0-based) or, with page = -1, the sum of all its pages: the frames of a movie summed without
// alignment, enough to pick on but blurred by beam-induced motion (motion-correct first for real work).
// Row 0 is the file's first row (TIFF's default top-left orientation), as for PNG; nothing is flipped.
// Every page's size is checked against kMaxPixels before any allocation; every problem is one Error line naming
// the file, and libtiff's own messages are folded into it instead of printed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imgproc/image.h"

namespace yp::imgproc {

struct TiffImage {
  Image image;      // in file units (e.g. 0..65535 for 16-bit counts); the sum of the pages with page = -1
  int pages = 1;    // pages in the file
  std::vector<std::string> warnings;  // what `permissive` tolerated
};
// No pixel size is read: EM programs do not agree on TIFF resolution tags (most write none, picture editors write
// 72 dpi), so a TIFF's pixel size comes from --apix.

// NaN/Inf pixels (float TIFFs) are an error, or with `permissive` set to 0 and noted in warnings (as for MRC).
TiffImage read_tiff(const std::string& path, int page = -1, bool permissive = false);

// The same from the file's bytes in memory (libtiff reading through a client of ours); `name` is used in messages.
// The fuzz target's entry (tests/fuzz/fuzz_tiff.cpp).
TiffImage decode_tiff(const uint8_t* bytes, size_t size, const std::string& name, int page = -1,
                      bool permissive = false);

}  // namespace yp::imgproc
