// optimizer_update.h (CUDA): the per-element parameter updates of train/optimizer.h and train/ema.h,
// computed in double and rounded to float exactly as the CPU loops do, so GPU and CPU training
// stay bit-comparable up to the last rounding.
//   SGD (Nesterov, PyTorch):  g' = g + wd p;  buf = mu buf + g';  p -= lr (g' + mu buf)
//   AdamW:  p *= 1 - lr wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//           p -= lr (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t (host-computed)
//   EMA:    ema = d ema + (1 - d) model
//   gradient clipping's rescale:  g = g * coef   (the norm itself: reduce.h's chunk_sums_f32 with squares)
#pragma once

#include <cstdint>

namespace yp::cuda {

void sgd_nesterov_update(float* param, const float* grad, float* momentum_buf, int64_t n, double lr, double momentum,
                         double weight_decay);
void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
                  double weight_decay, double eps, double bias_correction1, double bias_correction2);
void ema_update(float* ema, const float* model, int64_t n, double decay);
void scale_update(float* x, int64_t n, double factor);

}  // namespace yp::cuda
