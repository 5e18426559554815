// gemm_avx2.cpp: the AVX2 + FMA micro-kernel (gemm_kernels.h), 4 x 24: 12 accumulators of 8 floats, 3
// loads of B and 4 broadcasts of A per k, in 16 ymm registers. Compiled with -mavx2 -mfma (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/gemm_kernels.h"

namespace yp::gemm_detail {

namespace {

constexpr int kMr = 4, kVectors = 3, kNr = 8 * kVectors;

void micro_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m256 acc[kMr][kVectors];
#pragma GCC unroll 4
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v)
      acc[i][v] = accumulate ? _mm256_loadu_ps(c + i * ldc + 8 * v) : _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += kMr, b += kNr) {
    __m256 bv[kVectors];
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 4
    for (int i = 0; i < kMr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 3
      for (int v = 0; v < kVectors; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v) _mm256_storeu_ps(c + i * ldc + 8 * v, acc[i][v]);
}

}  // namespace

MicroKernel avx2_micro_kernel() { return {kMr, kNr, micro_avx2, "avx2 4x24"}; }

}  // namespace yp::gemm_detail
