// reduce.h: sum and mean of all elements, returned as shape () tensors. Backward broadcasts.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

}  // namespace yp
