// bce_with_logits.h (CUDA): the loss pieces of tensor/ops/bce_with_logits.h on the GPU.
//   l_i = (1 - t) z + w softplus(-z),  w = 1 + (p - 1) t,  softplus(-z) = max(-z, 0) + log1p(e^-|z|)
//   loss = (1/n) sum l_i          (summed in double, written as one float to *loss)
//   dz_i = g [(1 - t) - w sigmoid(-z)] / n,   dt_i = g [-z + (p - 1) softplus(-z)] / n
// g is the upstream gradient, read from device memory (*grad_loss) so no host round trip is needed.
#pragma once

#include <cstdint>

namespace yp::cuda {

void bce_with_logits_forward(const float* z, const float* t, int64_t n, float pos_weight, float* loss);
// dz or dt may be nullptr when that input needs no gradient.
void bce_with_logits_backward(const float* z, const float* t, const float* grad_loss, int64_t n, float pos_weight,
                              float* dz, float* dt);

}  // namespace yp::cuda
