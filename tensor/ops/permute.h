// permute.h: reorder dimensions (a copy into the new contiguous layout).
// The Detect head turns (N, na*no, H, W) into (N, na, H, W, no): reshape to (N, na, no, H, W), then
// permute {0, 1, 3, 4, 2}. Backward applies the inverse permutation.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor permute(const Tensor& x, const std::vector<int>& dims);

}  // namespace yp
