// parallel.h: how many CPU threads the engine uses (OpenMP loops and Eigen's GEMM).
// Default: every core the process may run on (OMP_NUM_THREADS, when set, wins).
#pragma once

namespace yp {

int cpu_threads();
void set_cpu_threads(int n);  // n <= 0 restores the default

}  // namespace yp
