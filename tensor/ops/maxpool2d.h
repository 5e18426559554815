// maxpool2d.h: max pooling, x (N, C, H, W); SPPF uses kernel 5, stride 1, padding 2.
// Padding behaves as -infinity. Backward routes each output gradient to the argmax input
// (the first maximum in row-major window order, as PyTorch).
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor maxpool2d(const Tensor& x, int kernel, int stride, int padding);

}  // namespace yp
