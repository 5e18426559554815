// isa.cpp: see isa.h. __builtin_cpu_supports checks the CPUID bits and, for AVX and AVX-512, that the
// operating system saves the wide registers (XCR0), so a "supported" path never faults.
#include "tensor/cpu/isa.h"

#include <cstdlib>
#include <cstring>

#include "tensor/tensor.h"

namespace yp {

namespace {

bool cpu_can_run(CpuIsa isa) {
#if defined(__x86_64__) && defined(YOLOPICK_X86_KERNELS)
  __builtin_cpu_init();  // needed when the first call comes from a static initializer
  switch (isa) {
    case CpuIsa::Generic: return true;
    case CpuIsa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CpuIsa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == CpuIsa::Generic;
#endif
}

CpuIsa isa_from_environment() {
  CpuIsa isa = best_cpu_isa();
  if (const char* cap = std::getenv("YP_CPU_ISA")) {
    for (CpuIsa c : {CpuIsa::Generic, CpuIsa::Avx2, CpuIsa::Avx512})
      if (std::strcmp(cap, cpu_isa_name(c)) == 0 && c < isa) isa = c;
  }
  return isa;
}

CpuIsa& current() {
  static CpuIsa isa = isa_from_environment();
  return isa;
}

}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Generic: return "generic";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Avx512: return "avx512";
  }
  return "?";
}

CpuIsa best_cpu_isa() {
  for (CpuIsa c : {CpuIsa::Avx512, CpuIsa::Avx2})
    if (cpu_can_run(c)) return c;
  return CpuIsa::Generic;
}

std::vector<CpuIsa> supported_cpu_isas() {
  std::vector<CpuIsa> out;
  for (CpuIsa c : {CpuIsa::Generic, CpuIsa::Avx2, CpuIsa::Avx512})
    if (cpu_can_run(c)) out.push_back(c);
  return out;
}

CpuIsa cpu_isa() { return current(); }

void set_cpu_isa(CpuIsa isa) {
  YP_CHECK(cpu_can_run(isa), std::string("set_cpu_isa: this CPU cannot run ") + cpu_isa_name(isa));
  current() = isa;
}

}  // namespace yp
