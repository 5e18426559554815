// isa.h: which SIMD instruction set the CPU kernels use, chosen at run time.
//
// One binary runs everywhere: the kernels for every instruction set are compiled in (each in its own file,
// with that file's compiler flags), and the best one the CPU and the operating system support is picked
// on first use:
//   Avx512   AVX-512 F/BW/DQ/VL with FMA (Intel Skylake-SP and later, AMD Zen 4 and later)
//   Avx2     AVX2 with FMA (Intel Haswell 2013 and later, AMD Zen 1 and later)
//   Generic  plain C++ (any CPU); the readable reference the SIMD kernels are tested against
// YP_CPU_ISA=generic|avx2|avx512 in the environment caps the choice (for comparisons and bug reports); a
// request above what the CPU supports falls back to the best supported one. Every path computes the same
// sums in the same order with fused multiply-adds, so all of them give the same bits (tests/tensor/test_gemm.cpp).
#pragma once

#include <string>
#include <vector>

namespace yp {

enum class CpuIsa { Generic = 0, Avx2 = 1, Avx512 = 2 };

const char* cpu_isa_name(CpuIsa isa);
// The best instruction set this CPU supports (ignores YP_CPU_ISA).
CpuIsa best_cpu_isa();
// Every instruction set this CPU can run, Generic first.
std::vector<CpuIsa> supported_cpu_isas();
// The one the kernels use now.
CpuIsa cpu_isa();
// Forces `isa` (tests); throws yp::Error when the CPU cannot run it. Not thread-safe: call between ops.
void set_cpu_isa(CpuIsa isa);

}  // namespace yp
