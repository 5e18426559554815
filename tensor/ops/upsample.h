// upsample.h: nearest-neighbour upsampling by an integer factor s >= 1,
// x (N, C, H, W) -> y (N, C, s*H, s*W), as YOLOv5's nn.Upsample(None, 2, 'nearest').
//   y[n,c,i,j] = x[n,c,i/s,j/s]                  (integer division)
//   dx[n,c,h,w] = sum over the s x s block  dy[n,c, h*s .. h*s+s-1, w*s .. w*s+s-1]
// float32 and float64; CUDA (float32): cuda_kernels/upsample.h.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor upsample_nearest(const Tensor& x, int scale);

}  // namespace yp
