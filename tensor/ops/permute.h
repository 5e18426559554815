// permute.h: reorder dimensions (a copy into the new contiguous layout; any dtype).
//   y.shape[i] = x.shape[dims[i]],   y[i_0, .., i_{D-1}] = x[j] with j[dims[k]] = i_k
// dims is a permutation of 0..D-1 (negative entries count from the end, as PyTorch).
// The Detect head turns (N, na*no, H, W) into (N, na, H, W, no): reshape to (N, na, no, H, W), then
// permute {0, 1, 3, 4, 2}. Backward applies the inverse permutation to the gradient.
// CPU and CUDA tensors (cuda_kernels/permute.h: at most 8 dimensions).
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor permute(const Tensor& x, const std::vector<int>& dims);

}  // namespace yp
