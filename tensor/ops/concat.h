// concat.h: concatenation along the channel axis (dim 1) of (N, C_i, H, W) tensors.
// Backward slices the output gradient back into the inputs' channel ranges.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor concat_channels(const std::vector<Tensor>& xs);

}  // namespace yp
