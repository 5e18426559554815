// conv_reference.h: the convolution of cuda_kernels/conv2d.h as plain double-precision loops - the
// spec the CUDA variants are tested against. x (N, C, H, W), w (K, C, R, S), y (N, K, P, Q).
#pragma once

#include <vector>

#include "cuda_kernels/conv2d.h"

namespace yp::test {

// Real YOLOv5 layer kinds at test-sized resolutions, with odd sizes and channel counts that are
// not multiples of the tiles (64, 32, 16, 8) so every bounds check is exercised.
inline std::vector<cuda::Conv2dShape> conv_test_shapes() {
  using cuda::Conv2dShape;
  return {
      Conv2dShape::make(2, 3, 33, 31, 16, 6, 6, 2, 2),   // stem: 6x6 stride 2
      Conv2dShape::make(2, 16, 17, 19, 32, 3, 3, 2, 1),  // downsampling 3x3
      Conv2dShape::make(1, 32, 16, 16, 16, 1, 1, 1, 0),  // C3 cv1: 1x1 (no im2col)
      Conv2dShape::make(2, 24, 13, 13, 40, 3, 3, 1, 1),  // bottleneck 3x3
      Conv2dShape::make(1, 64, 8, 8, 72, 1, 1, 1, 0),    // 1x1, K past one 64 tile
      Conv2dShape::make(1, 5, 7, 9, 3, 3, 3, 1, 1),      // tiny: every tile partial
  };
}

inline std::vector<double> conv2d_reference(const std::vector<float>& x, const std::vector<float>& w,
                                            const std::vector<float>* b, const cuda::Conv2dShape& s) {
  std::vector<double> y((size_t)s.y_numel());
  for (int n = 0; n < s.n; ++n)
    for (int k = 0; k < s.k; ++k)
      for (int p = 0; p < s.p; ++p)
        for (int q = 0; q < s.q; ++q) {
          double acc = b ? (*b)[k] : 0.0;
          for (int c = 0; c < s.c; ++c)
            for (int r = 0; r < s.r; ++r)
              for (int t = 0; t < s.s; ++t) {
                const int ih = p * s.stride - s.pad + r, iw = q * s.stride - s.pad + t;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                acc += (double)w[((k * s.c + c) * s.r + r) * s.s + t] * x[((n * s.c + c) * s.h + ih) * s.w + iw];
              }
          y[((n * s.k + k) * s.p + p) * s.q + q] = acc;
        }
  return y;
}

}  // namespace yp::test
