// maxpool2d.h: max pooling, x (N, C, H, W) -> y (N, C, P, Q); SPPF uses kernel 5, stride 1, padding 2.
//   y[n,c,p,q] = max over r,s < kernel of x[n, c, p*stride - pad + r, q*stride - pad + s]
//   P = (H + 2 pad - kernel) / stride + 1 (floor, PyTorch's ceil_mode=False), Q likewise.
// Padding behaves as -infinity (it never wins), and padding <= kernel/2 (PyTorch's rule) so that
// every window holds at least one real element.
// Backward routes each output gradient to the argmax input: the first maximum in row-major window
// order (a later element must be strictly greater to win), as PyTorch's CPU kernel; a NaN wins and
// propagates. Overlapping windows (stride < kernel) may route several gradients to one input; they add.
// float32 and float64; CUDA (float32): cuda_kernels/maxpool2d.h.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor maxpool2d(const Tensor& x, int kernel, int stride, int padding);

}  // namespace yp
