// activation_avx512.cpp: the AVX-512 kernels of activation.h: exp_recipe.h on 16 floats at a time, the tail through
// a zero-padded vector. Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -ffp-contract=off (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/activation.h"
#include "tensor/cpu/exp_recipe.h"

namespace yp::activation_detail {

namespace {

constexpr int kWidth = 16;

struct Ops {
  using V = __m512;
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
};

// Lanes [0, count) of p, zeros elsewhere; and the store back.
inline __m512 load_part(const float* p, int64_t count) { return _mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1), p); }
inline void store_part(float* p, __m512 v, int64_t count) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), v); }
inline __m512 load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, __m512 v) { _mm512_storeu_ps(p, v); }

void silu(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) store(y + i, silu_recipe<Ops>(load(x + i)));
  if (i < n) store_part(y + i, silu_recipe<Ops>(load_part(x + i, n - i)), n - i);
}

void sigmoid(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) store(y + i, sigmoid_recipe<Ops>(load(x + i)));
  if (i < n) store_part(y + i, sigmoid_recipe<Ops>(load_part(x + i, n - i)), n - i);
}

void silu_backward(const float* x, const float* g, float* dx, int64_t n) {
  int64_t i = 0;
  for (; i + kWidth <= n; i += kWidth) store(dx + i, silu_backward_recipe<Ops>(load(x + i), load(g + i)));
  if (i < n) store_part(dx + i, silu_backward_recipe<Ops>(load_part(x + i, n - i), load_part(g + i, n - i)), n - i);
}

}  // namespace

ActivationKernels avx512_activation_kernels() { return {silu, sigmoid, silu_backward}; }

}  // namespace yp::activation_detail
