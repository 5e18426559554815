// image.cpp: the blocked transpose used by every separable filter for its horizontal pass.
#include "imgproc/image.h"

#include <algorithm>

namespace yp::imgproc {

Image transpose(const Image& in) {
  Image out(in.height, in.width);
  constexpr int kBlock = 32;  // 32x32 floats = 4 KB per block side: both stay in L1
  const int w = in.width, h = in.height;
#pragma omp parallel for schedule(static)
  for (int by = 0; by < h; by += kBlock)
    for (int bx = 0; bx < w; bx += kBlock)
      for (int y = by; y < std::min(by + kBlock, h); ++y)
        for (int x = bx; x < std::min(bx + kBlock, w); ++x) out.data[(size_t)x * h + y] = in.data[(size_t)y * w + x];
  return out;
}

}  // namespace yp::imgproc
