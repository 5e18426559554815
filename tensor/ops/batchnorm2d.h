// batchnorm2d.h: batch normalisation over (N, H, W) per channel, PyTorch semantics.
//   training: mu, var_b = mean and biased variance of the batch; y = gamma (x - mu)/sqrt(var_b + eps) + beta
//             running_mean = (1 - momentum) running_mean + momentum mu
//             running_var  = (1 - momentum) running_var  + momentum var_b * M/(M-1)   (unbiased, M = N*H*W)
//   eval:     the running statistics replace mu and var_b; nothing is updated.
// YOLOv5 uses momentum 0.03 and eps 1e-3. Backward (training):
//   dx = gamma/sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum dy*xhat, dbeta = sum dy.
// Derivation: docs/batchnorm.md. gamma, beta and the running buffers have x's dtype; CUDA (float32):
// cuda_kernels/batchnorm2d.h. Training needs more than one value per channel (N*H*W > 1).
#pragma once

#include "tensor/tensor.h"

namespace yp {

struct BatchNormParams {
  bool training = false;
  double momentum = 0.03;
  double eps = 1e-3;
};

// running_mean / running_var are (C) buffers, updated in place when training.
Tensor batchnorm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                   Tensor& running_var, const BatchNormParams& params);

// Folds an eval-mode BN into the conv before it: w' = w * gamma/sqrt(var+eps) (per output channel),
// b' = beta + (b - mean) * gamma/sqrt(var+eps). conv2d(x, w', b') == BN(conv2d(x, w, b)).
struct FoldedConv {
  Tensor weight;
  Tensor bias;
};
FoldedConv fold_batchnorm(const Tensor& conv_weight, const Tensor& conv_bias, const Tensor& gamma,
                          const Tensor& beta, const Tensor& running_mean, const Tensor& running_var, double eps);

}  // namespace yp
