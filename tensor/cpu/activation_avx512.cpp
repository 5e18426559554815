// activation_avx512.cpp: the AVX-512 kernels of activation.h: exp_recipe.h on 16 floats at a time, the tail
// through a masked load and store. Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma
// -ffp-contract=off (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/activation.h"
#include "tensor/cpu/exp_recipe.h"

namespace yp::activation_detail {

namespace {

struct Ops {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2n(V n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 first(int64_t count) { return (__mmask16)((1u << count) - 1); }
  static V load_part(const float* p, int64_t count) { return _mm512_maskz_loadu_ps(first(count), p); }
  static void store_part(float* p, V v, int64_t count) { _mm512_mask_storeu_ps(p, first(count), v); }
};

}  // namespace

ActivationKernels avx512_activation_kernels() {
  return {silu_loop<Ops>, sigmoid_loop<Ops>, silu_backward_loop<Ops>};
}

}  // namespace yp::activation_detail
