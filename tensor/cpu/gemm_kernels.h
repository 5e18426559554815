// gemm_kernels.h: the register-blocked micro-kernels of gemm.cpp, one per instruction set (isa.h).
//
// run(kc, a, b, c, ldc, accumulate) computes one mr x nr tile of C:
//   c[i*ldc + j] = (accumulate ? c[i*ldc + j] : 0) + sum_{k < kc} a[k*mr + i] * b[k*nr + j]
// as a chain of fused multiply-adds in k order, from a packed A micro-panel (kc x mr, a column of A per k)
// and a packed B micro-panel (kc x nr, a row of B per k). The SIMD kernels are micro_kernel.h instantiated in
// their own source files, compiled for their instruction set; those files include nothing but <immintrin.h>
// and template-only headers, and define everything in an anonymous namespace, so no function compiled with
// wide instructions can be picked by the linker for code that runs on every CPU.
#pragma once

#include <cstdint>

namespace yp::gemm_detail {

using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);

struct MicroKernel {
  int mr, nr;
  MicroKernelFn run;
  const char* name;
};

MicroKernel generic_micro_kernel();
#if defined(YOLOPICK_X86_KERNELS)
MicroKernel avx2_micro_kernel();
MicroKernel avx512_micro_kernel();
#endif

}  // namespace yp::gemm_detail
