// bench_conv2d: conv2d forward and backward on the yolov5s layer shapes at a 1024x1024 input
// (bench/yolov5_layer_shapes.h; batch 1, float32), next to the engine's GEMM alone on the same M, N, K,
// which is the ceiling the im2col + GEMM design can reach on this machine, and Eigen's GEMM as a yardstick.
// YP_CPU_ISA=avx2 (or generic) caps the kernels (tensor/cpu/isa.h).
//
//   conv forward:  2*K*CRS*PQ*N flops   (GEMM: M = K, N = PQ, K = CRS = C*R*S)
//   conv backward: twice that (dW = dY col^T and dcol = W^T dY), plus im2col/col2im traffic
//
// Counter GFLOP/s is flops / wall time. Run (from the build folder):
//   ./bench/bench_conv2d --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// and compare conv forward with the GEMM row of the same layer: the goal is >= 60 % for 3x3 and
// >= 85 % for 1x1 layers (docs/perf.md has the table).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <string>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/cpu/gemm.h"
#include "tensor/ops/conv2d.h"
#include "tensor/parallel.h"
#include "bench/yolov5_layer_shapes.h"
#include "tensor/random.h"

namespace {

using namespace yp;

using LayerShape = bench::Yolov5ConvLayer;

int pad_of(const LayerShape& l) { return l.pad(); }
int64_t out_size(const LayerShape& l) { return l.out_size(); }
double forward_flops(const LayerShape& l) {
  const double pq = double(out_size(l)) * double(out_size(l));
  return 2.0 * double(l.K) * double(l.C * l.kernel * l.kernel) * pq;
}

void set_flop_counter(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_conv2d_forward(benchmark::State& state, LayerShape l) {
  Rng rng(1);
  const Tensor x = randn({1, l.C, l.in_size, l.in_size}, rng);
  const Tensor w = randn({l.K, l.C, l.kernel, l.kernel}, rng);
  const Tensor b = l.bias ? randn({l.K}, rng) : Tensor();
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = conv2d(x, w, b, {int(l.stride), pad_of(l)});
    benchmark::DoNotOptimize(y.data<float>());
  }
  set_flop_counter(state, forward_flops(l));
}

// The backward closure alone (dx and dW; the forward runs once, outside the timed loop), on a batch
// of `images`: batch 1 runs every step on all threads, a batch >= threads splits the images.
void BM_conv2d_backward(benchmark::State& state, LayerShape l, int64_t images) {
  Rng rng(2);
  Tensor x = randn({images, l.C, l.in_size, l.in_size}, rng);
  Tensor w = randn({l.K, l.C, l.kernel, l.kernel}, rng);
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  const Tensor y = conv2d(x, w, Tensor(), {int(l.stride), pad_of(l)});
  const Tensor dy = randn(y.shape(), rng);
  for (auto _ : state) {
    std::vector<Tensor> grads = y.grad_fn()->backward(dy);
    benchmark::DoNotOptimize(grads[0].data<float>());
  }
  set_flop_counter(state, 2 * forward_flops(l) * double(images));
}

// The engine's GEMM (tensor/cpu/gemm.h, all threads) on preallocated row-major matrices with the conv's
// M = K, N = PQ, K = CRS: the ceiling of the im2col + GEMM design.
void BM_gemm(benchmark::State& state, LayerShape l) {
  const int64_t m = l.K, k = l.C * l.kernel * l.kernel, n = out_size(l) * out_size(l);
  Rng rng(3);
  const Tensor a = randn({m, k}, rng), b = randn({k, n}, rng);
  Tensor c = Tensor::empty({m, n});
  for (auto _ : state) {
    gemm(m, n, k, {a.data<float>(), k, 1}, {b.data<float>(), n, 1}, c.data<float>(), n, false, true);
    benchmark::DoNotOptimize(c.data<float>());
  }
  set_flop_counter(state, forward_flops(l));
}

// Eigen's GEMM on the same shapes, a yardstick (the engine used it until it had its own).
void BM_eigen_gemm(benchmark::State& state, LayerShape l) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t m = l.K, k = l.C * l.kernel * l.kernel, n = out_size(l) * out_size(l);
  const RowMajor a = RowMajor::Random(m, k), b = RowMajor::Random(k, n);
  RowMajor c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_flop_counter(state, forward_flops(l));
}

void register_all() {
  benchmark::AddCustomContext("threads", std::to_string(cpu_threads()));
  benchmark::AddCustomContext("gemm_kernel", gemm_kernel_name());
  benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));
  for (const LayerShape& l : bench::yolov5s_conv_layers()) {
    const std::string suffix = std::string(l.name) + "/C" + std::to_string(l.C) + "_K" + std::to_string(l.K) +
                               "_out" + std::to_string(out_size(l));
    benchmark::RegisterBenchmark(("conv_fwd/" + suffix).c_str(), BM_conv2d_forward, l)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("gemm/" + suffix).c_str(), BM_gemm, l)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("eigen_gemm/" + suffix).c_str(), BM_eigen_gemm, l)->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("conv_bwd/" + suffix).c_str(), BM_conv2d_backward, l, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  // A training batch: threads take whole images.
  for (const LayerShape& l : bench::yolov5s_conv_layers()) {
    const std::string name(l.name);
    if (name != "m2_m_cv2_3x3" && name != "m4_cv3_1x1" && name != "m6_m_cv2_3x3" && name != "m8_m_cv2_3x3") continue;
    benchmark::RegisterBenchmark(("conv_bwd_batch4/" + name + "/C" + std::to_string(l.C) + "_K" + std::to_string(l.K) + "_out" + std::to_string(out_size(l))).c_str(),
                                 BM_conv2d_backward, l, 4)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  yp::restart_with_passive_openmp_wait(argv);  // as yolopick runs (tensor/parallel.h)
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
