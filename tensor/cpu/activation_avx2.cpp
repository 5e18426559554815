// activation_avx2.cpp: the AVX2 kernels of activation.h: exp_recipe.h on 8 floats at a time, the tail through
// a masked load and store. Compiled with -mavx2 -mfma -ffp-contract=off (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/activation.h"
#include "tensor/cpu/exp_recipe.h"

namespace yp::activation_detail {

namespace {

struct Ops {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2n(V n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static __m256i first(int64_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load_part(const float* p, int64_t count) { return _mm256_maskload_ps(p, first(count)); }
  static void store_part(float* p, V v, int64_t count) { _mm256_maskstore_ps(p, first(count), v); }
};

}  // namespace

ActivationKernels avx2_activation_kernels() {
  return {silu_loop<Ops>, sigmoid_loop<Ops>, silu_backward_loop<Ops>};
}

}  // namespace yp::activation_detail
