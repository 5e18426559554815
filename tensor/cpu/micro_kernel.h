// micro_kernel.h: the register-blocked GEMM micro-kernel (gemm_kernels.h), written once over a vector type and
// instantiated by gemm_avx512.cpp (8 x 48) and gemm_avx2.cpp (4 x 24) with their intrinsics.
//   c[i*ldc + j] = (accumulate ? c[i*ldc + j] : 0) + sum_{k < kc} a[k*Mr + i] * b[k*Nr + j],  Nr = Vectors * width
// The Mr x Nr tile of C lives in Mr * Vectors registers; per k: Vectors loads of B, Mr broadcasts of A and
// Mr * Vectors fused multiply-adds, each accumulator one chain in k order.
// Ops supplies: V, kWidth, zero(), load(const float*), store(float*, V), broadcast(const float*), fma(a, b, c).
// Only templates here (see gemm_kernels.h for why the kernel files include nothing else).
#pragma once

#include <cstdint>

namespace yp::gemm_detail {

template <typename Ops, int Mr, int Vectors>
void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  constexpr int kNr = Vectors * Ops::kWidth;
  typename Ops::V acc[Mr][Vectors];
#pragma GCC unroll 16
  for (int i = 0; i < Mr; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) acc[i][v] = accumulate ? Ops::load(c + i * ldc + Ops::kWidth * v) : Ops::zero();
  for (int64_t k = 0; k < kc; ++k, a += Mr, b += kNr) {
    typename Ops::V bv[Vectors];
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) bv[v] = Ops::load(b + Ops::kWidth * v);
#pragma GCC unroll 16
    for (int i = 0; i < Mr; ++i) {
      const typename Ops::V ai = Ops::broadcast(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < Vectors; ++v) acc[i][v] = Ops::fma(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < Mr; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) Ops::store(c + i * ldc + Ops::kWidth * v, acc[i][v]);
}

}  // namespace yp::gemm_detail
