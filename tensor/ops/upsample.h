// upsample.h: nearest-neighbour upsampling by an integer factor, x (N, C, H, W) -> (N, C, sH, sW).
// y[n,c,i,j] = x[n,c,i/s,j/s]; backward sums each s x s block of the output gradient.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor upsample_nearest(const Tensor& x, int scale);

}  // namespace yp
