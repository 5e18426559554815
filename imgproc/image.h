// image.h: the one image type of imgproc. Problems with inputs are reported as yp::Error (util/error.h).
// An Image is a single-channel float picture stored row-major: pixel (x, y) is data[y * width + x],
// x = column (fast axis), y = row. For MRC files row 0 is the first row stored after the header
// (MRC y = 0); for PNG/JPEG row 0 is the top row of the picture. imgproc never flips: the reader
// keeps the file's row order, so picks in "MRC array index" space need no conversion (see
// docs/preprocessing.md and ../shared/picking-facts.md section 0).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/error.h"

namespace yp::imgproc {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<float> data;  // height * width, row-major

  Image() = default;
  Image(int w, int h, float fill = 0.f) : width(w), height(h), data((size_t)w * (size_t)h, fill) {}
  float& at(int x, int y) { return data[(size_t)y * width + x]; }
  float at(int x, int y) const { return data[(size_t)y * width + x]; }
  float* row(int y) { return data.data() + (size_t)y * width; }
  const float* row(int y) const { return data.data() + (size_t)y * width; }
  size_t size() const { return data.size(); }
  bool empty() const { return data.empty(); }
};

// The transpose (width and height swap). Filters that run along rows reuse their column code on it.
Image transpose(const Image& in);

}  // namespace yp::imgproc
