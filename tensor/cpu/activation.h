// activation.h: SiLU and sigmoid over float32 arrays, on the SIMD instruction set of isa.h, one recipe for all
// (exp_recipe.h): every path gives the same bits, whatever the array's length, alignment or split.
//   silu:          y = x / (1 + e^-x)
//   sigmoid:       y = 1 / (1 + e^-x)
//   silu_backward: dx = g * s * (1 + x (1 - s)),  s = sigmoid(x)
// Plain loops on the calling thread; y may be x.
#pragma once

#include <cstdint>

namespace yp {

void silu_f32(const float* x, float* y, int64_t n);
void sigmoid_f32(const float* x, float* y, int64_t n);
void silu_backward_f32(const float* x, const float* g, float* dx, int64_t n);

namespace activation_detail {
struct ActivationKernels {
  void (*silu)(const float*, float*, int64_t);
  void (*sigmoid)(const float*, float*, int64_t);
  void (*silu_backward)(const float*, const float*, float*, int64_t);
};
ActivationKernels generic_activation_kernels();
#if defined(YOLOPICK_X86_KERNELS)
ActivationKernels avx2_activation_kernels();
ActivationKernels avx512_activation_kernels();
#endif
}  // namespace activation_detail

}  // namespace yp
