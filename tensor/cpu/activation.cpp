// activation.cpp: the plain C++ kernels of activation.h (the reference, and the path for CPUs without AVX2)
// and the run-time choice among them (isa.h). Compiled with -ffp-contract=off, as the SIMD files are, so
// that no multiply and add are fused behind the recipe's back.
#include "tensor/cpu/activation.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "tensor/cpu/exp_recipe.h"
#include "tensor/cpu/isa.h"

namespace yp {

namespace activation_detail {

namespace {

struct ScalarOps {
  using V = float;
  static constexpr int kWidth = 1;
  static V set1(float a) { return a; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fma(V a, V b, V c) { return std::fma(a, b, c); }
  static V min(V a, V b) { return a < b ? a : b; }  // the second operand on NaN, as vminps
  static V max(V a, V b) { return a > b ? a : b; }
  static V round(V a) { return std::nearbyint(a); }  // to nearest even in the default rounding mode
  static V pow2n(V n) {
    const int32_t bits = ((int32_t)n + 127) << 23;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V load_part(const float* p, int64_t) { return *p; }  // never called: the width is 1
  static void store_part(float* p, V v, int64_t) { *p = v; }
};

}  // namespace

ActivationKernels generic_activation_kernels() {
  return {silu_loop<ScalarOps>, sigmoid_loop<ScalarOps>, silu_backward_loop<ScalarOps>};
}

}  // namespace activation_detail

namespace {

const activation_detail::ActivationKernels& kernels() {
  static const activation_detail::ActivationKernels by_isa[] = {
      activation_detail::generic_activation_kernels(),
#if defined(YOLOPICK_X86_KERNELS)
      activation_detail::avx2_activation_kernels(),
      activation_detail::avx512_activation_kernels(),
#endif
  };
  return by_isa[(int)cpu_isa()];
}

}  // namespace

void silu_f32(const float* x, float* y, int64_t n) { kernels().silu(x, y, n); }
void sigmoid_f32(const float* x, float* y, int64_t n) { kernels().sigmoid(x, y, n); }
void silu_backward_f32(const float* x, const float* g, float* dx, int64_t n) { kernels().silu_backward(x, g, dx, n); }

}  // namespace yp
