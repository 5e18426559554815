// parallel.h: how many CPU threads the engine uses (its OpenMP loops), and how they wait.
// Default: every core the process may run on (OMP_NUM_THREADS, when set, wins).
#pragma once

namespace yp {

int cpu_threads();
void set_cpu_threads(int n);  // n <= 0 restores the default

// OpenMP threads that finish their share wait at the end of every parallel loop. libgomp's default is to
// spin for a while first, which on a shared machine keeps a core busy while the thread everyone waits for
// cannot get one: with 2 threads at load average 9, yolov5n at 640 took 1.1-1.9 s per forward instead of
// 57-110 ms with OMP_WAIT_POLICY=passive (threads sleep at once), measured alternately (docs/perf.md).
// libgomp reads the policy once, when it is loaded, before main() runs; so a program calls this first
// thing in main(): when OMP_WAIT_POLICY is unset it sets it to passive and executes itself again
// (/proc/self/exe, same arguments). OMP_WAIT_POLICY=active keeps spinning. Returns when nothing is to be done
// or the restart failed.
void restart_with_passive_openmp_wait(char** argv);

}  // namespace yp
