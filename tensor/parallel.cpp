// parallel.cpp: see parallel.h.
#include "tensor/parallel.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>

namespace yp {

namespace {
const int g_default_threads = omp_get_max_threads();
}

int cpu_threads() { return omp_get_max_threads(); }

void set_cpu_threads(int n) { omp_set_num_threads(n <= 0 ? g_default_threads : n); }

void restart_with_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: go on with the default policy
}

}  // namespace yp
