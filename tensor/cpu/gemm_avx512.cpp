// gemm_avx512.cpp: the AVX-512 micro-kernel (gemm_kernels.h), 8 x 48: 24 accumulators of 16 floats, 3 loads
// of B and 8 broadcasts of A per k, in 32 zmm registers. Compiled with -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/gemm_kernels.h"

namespace yp::gemm_detail {

namespace {

constexpr int kMr = 8, kVectors = 3, kNr = 16 * kVectors;

void micro_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[kMr][kVectors];
#pragma GCC unroll 8
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v)
      acc[i][v] = accumulate ? _mm512_loadu_ps(c + i * ldc + 16 * v) : _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += kMr, b += kNr) {
    __m512 bv[kVectors];
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 3
      for (int v = 0; v < kVectors; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < kVectors; ++v) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

}  // namespace

MicroKernel avx512_micro_kernel() { return {kMr, kNr, micro_avx512, "avx512 8x48"}; }

}  // namespace yp::gemm_detail
