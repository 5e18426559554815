// gemm_avx512.cpp: the AVX-512 micro-kernel (micro_kernel.h), 8 x 48: 24 accumulators of 16 floats, 3 loads
// of B and 8 broadcasts of A per k, in 32 zmm registers. Compiled with -mavx512f -mavx512bw -mavx512dq
// -mavx512vl -mfma (tensor/CMakeLists.txt).
#include <immintrin.h>

#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/micro_kernel.h"

namespace yp::gemm_detail {

namespace {

struct Ops {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

MicroKernel avx512_micro_kernel() { return {8, 48, micro_kernel<Ops, 8, 3>, "avx512 8x48"}; }

}  // namespace yp::gemm_detail
