// parallel.cpp: see parallel.h. Eigen's GEMM runs its own OpenMP team, so both are set together.
#include "tensor/parallel.h"

#include <omp.h>

#include <Eigen/Core>

namespace yp {

namespace {
const int g_default_threads = omp_get_max_threads();
}

int cpu_threads() { return omp_get_max_threads(); }

void set_cpu_threads(int n) {
  if (n <= 0) n = g_default_threads;
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

}  // namespace yp
