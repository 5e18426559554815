// image.cpp: the blocked transpose used by every separable filter for its horizontal pass.
#include "imgproc/image.h"

#include <algorithm>

namespace yp::imgproc {

Image transpose(const Image& in) {
  Image out(in.height, in.width);
  // 16 x 16 blocks; the inner loop writes a contiguous run of the output and reads one column of the
  // block, whose 16 lines stay in L1. (Writing with the large stride instead is ~20x slower.)
  constexpr int kBlock = 16;
  const int w = in.width, h = in.height;
  const float* src = in.data.data();
  float* dst = out.data.data();
#pragma omp parallel for schedule(static)
  for (int by = 0; by < h; by += kBlock) {
    const int y_end = std::min(by + kBlock, h);
    for (int bx = 0; bx < w; bx += kBlock) {
      const int x_end = std::min(bx + kBlock, w);
      for (int x = bx; x < x_end; ++x) {
        float* o = dst + (size_t)x * h;
        for (int y = by; y < y_end; ++y) o[y] = src[(size_t)y * w + x];
      }
    }
  }
  return out;
}

}  // namespace yp::imgproc
