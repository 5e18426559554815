// gemm_avx2.cpp: the AVX2 + FMA micro-kernel (micro_kernel.h), 4 x 24: 12 accumulators of 8 floats, 3 loads
// of B and 4 broadcasts of A per k, in 16 ymm registers. Compiled with -mavx2 -mfma (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/micro_kernel.h"

namespace yp::gemm_detail {

namespace {

struct Ops {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

MicroKernel avx2_micro_kernel() { return {4, 24, micro_kernel<Ops, 4, 3>, "avx2 4x24"}; }

}  // namespace yp::gemm_detail
