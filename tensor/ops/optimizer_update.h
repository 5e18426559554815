// optimizer_update.h: the per-element updates of a training step (train/optimizer.h, train/ema.h), in
// place and outside autograd, on float32 tensors of one shape and one device. Each element's arithmetic is
// done in double and rounded to float once per stored value; the CUDA kernels
// (cuda_kernels/optimizer_update.h) write the same formulas, so the two devices differ only where the
// compilers fuse a multiply-add differently (the last bit).
//   SGD, Nesterov (PyTorch):  g' = g + wd p;  buf = mu buf + g';  p -= lr (g' + mu buf)
//   AdamW:  p *= 1 - lr wd;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//           p -= lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t  (the caller's)
//   EMA:    ema = d ema + (1 - d) model
//   scale:  x = x * factor          (gradient clipping's rescale; the norm is reduce.h's sum_of_squares)
#pragma once

#include "tensor/tensor.h"

namespace yp {

void sgd_nesterov_update(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr, double momentum,
                         double weight_decay);
void adamw_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, double lr, double beta1, double beta2,
                  double weight_decay, double eps, double bias_correction1, double bias_correction2);
void ema_update(Tensor& ema, const Tensor& model, double decay);
void scale_update(Tensor& x, double factor);

}  // namespace yp
