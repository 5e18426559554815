// elementwise.h: pointwise ops on tensors of one shape (no broadcasting: YOLOv5 needs none that
// conv/BN do not already handle), with their gradients.
//   add: y = a + b      sub: y = a - b      mul: y = a * b       scale: y = s * a
//   silu: y = x * sigmoid(x),  dy/dx = s * (1 + x * (1 - s)) with s = sigmoid(x)
//   sigmoid: y = 1 / (1 + e^-x),  dy/dx = y * (1 - y)
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, double s);
Tensor silu(const Tensor& x);
Tensor sigmoid(const Tensor& x);

// y = silu(x) over n raw values on the calling thread, no autograd (y may be x): the loop silu() runs per
// chunk, exposed for fused epilogues (conv2d_silu applies it to each output band while it is in cache).
void silu_span(const float* x, float* y, int64_t n);
void silu_span(const double* x, double* y, int64_t n);

// acc += g, in place and outside autograd (gradient accumulation, optimizer updates).
void add_inplace(Tensor& acc, const Tensor& g);
// acc = alpha * acc + beta * g, in place and outside autograd (EMA, momentum buffers).
void axpby_inplace(Tensor& acc, double alpha, const Tensor& g, double beta);

}  // namespace yp
