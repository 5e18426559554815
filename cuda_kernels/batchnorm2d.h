// batchnorm2d.h (CUDA): batch normalisation over (N, H, W) per channel, PyTorch semantics as
// tensor/ops/batchnorm2d.h (derivation: docs/batchnorm.md). x, y, dy, dx are (N, C, HW) float32;
// gamma, beta, running_*, save_* and dgamma/dbeta are (C).
//   training: mu, var_b of the batch (two passes, summed in double: no E[x^2] - E[x]^2 cancellation)
//             y = gamma (x - mu) * invstd + beta,  invstd = 1 / sqrt(var_b + eps)
//             running_mean = (1 - momentum) running_mean + momentum mu
//             running_var  = (1 - momentum) running_var  + momentum var_b M / (M - 1),  M = N*HW
//             save_mean / save_invstd keep mu and invstd for the backward.
//   eval:     running statistics in place of mu, var_b (also written to save_*); nothing updated.
//   backward: dgamma = sum dy xhat,  dbeta = sum dy,
//             training: dx = gamma invstd (dy - dbeta/M - xhat dgamma/M)
//             eval:     dx = gamma invstd dy        (the statistics are constants)
// M must be > 1 in training (checked by the tensor op). One block per channel does the reductions.
#pragma once

#include <cstdint>

namespace yp::cuda {

void batchnorm2d_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* running_mean,
                               float* running_var, float* save_mean, float* save_invstd, int n, int c, int64_t hw,
                               float momentum, float eps);
void batchnorm2d_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                              const float* running_var, float* y, float* save_mean, float* save_invstd, int n, int c,
                              int64_t hw, float eps);
// dx may be nullptr (no input gradient wanted); dgamma and dbeta are always written.
void batchnorm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                          const float* save_invstd, float* dx, float* dgamma, float* dbeta, int n, int c, int64_t hw,
                          bool training);

}  // namespace yp::cuda
