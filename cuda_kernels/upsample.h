// upsample.h (CUDA): nearest-neighbour upsampling by an integer factor, as tensor/ops/upsample.h.
//   x (N, C, H, W) -> y (N, C, scale*H, scale*W),  y[.., i, j] = x[.., i/scale, j/scale]
//   dx[.., h, w] = sum of dy over the scale x scale block above (h, w)   (gather: no atomics)
#pragma once

#include <cstdint>

namespace yp::cuda {

void upsample_nearest_forward(const float* x, float* y, int64_t planes, int h, int w, int scale);   // planes = N*C
void upsample_nearest_backward(const float* dy, float* dx, int64_t planes, int h, int w, int scale);

}  // namespace yp::cuda
