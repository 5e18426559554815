// bench_imgproc.cpp: the pre-processing chain (imgproc/chain.h) and each of its steps.
//   BM_Chain/2048          the study's full chain, 2048^2 float32 -> 1024^2 (the target: <= 150 ms on 2 cores)
//   BM_<Step>/N            one step on an N x N image, N = 512 .. 4096, to show the cost is linear in pixels
//                          (Resize shrinks N -> N/2; the others keep N). Counter px/s = pixels in per second.
// Run: ./bench/bench_imgproc --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Threads: OpenMP's default (OMP_NUM_THREADS, else every core). Input: a synthetic micrograph (smooth
// background, blobs, Gaussian noise), the same bytes every run.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <random>

#include "imgproc/chain.h"
#include "imgproc/clahe.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "imgproc/wavelet.h"
#include "imgproc/wiener.h"

using namespace yp::imgproc;

namespace {

Image synthetic_micrograph(int n) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> noise(0.f, 0.2f);
  Image img(n, n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      img.at(x, y) = 1.f + 0.3f * std::sin(0.01f * x) * std::cos(0.013f * y) + noise(rng);
  return img;
}

void set_counters(benchmark::State& state, int n) {
  state.counters["px/s"] = benchmark::Counter((double)n * n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

void BM_Chain(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = synthetic_micrograph(n);
  const ChainConfig config;  // the study's defaults: -> 1024 x 1024
  for (auto _ : state) benchmark::DoNotOptimize(run_chain(in, config).data.data());
  set_counters(state, n);
}

void BM_Resize(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = synthetic_micrograph(n);
  for (auto _ : state) benchmark::DoNotOptimize(resize_bicubic(in, n / 2, n / 2).data.data());
  set_counters(state, n);
}

void BM_Wavelet(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = synthetic_micrograph(n);
  for (auto _ : state) benchmark::DoNotOptimize(wavelet_suppress(in, 2).data.data());
  set_counters(state, n);
}

void BM_Wiener(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = synthetic_micrograph(n);
  for (auto _ : state) benchmark::DoNotOptimize(wiener2(in, 9, 9).image.data.data());
  set_counters(state, n);
}

void BM_Clahe(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = normalize(synthetic_micrograph(n), 0, 100);
  for (auto _ : state) benchmark::DoNotOptimize(clahe(in).data.data());
  set_counters(state, n);
}

void BM_Normalize(benchmark::State& state) {
  const int n = (int)state.range(0);
  const Image in = synthetic_micrograph(n);
  for (auto _ : state) benchmark::DoNotOptimize(normalize(in, 0.1, 99.9).data.data());
  set_counters(state, n);
}

}  // namespace

BENCHMARK(BM_Chain)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Resize)->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Wavelet)->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Wiener)->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Clahe)->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Normalize)->RangeMultiplier(2)->Range(512, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
