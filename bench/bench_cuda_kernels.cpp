// bench_cuda_kernels: every CUDA kernel on the real YOLOv5 layer shapes (n and s at 1024x1024,
// batch 1 and 8), in roofline units, next to cuDNN.
//
// Rows (one per kernel x layer x model x batch), timed with CUDA events around the launch only
// (manual time), the 50 MB+ L2 flushed before every iteration so each run starts cold as in a
// real forward:
//   GFLOP/s    2*K*C*R*S*P*Q*N / time (convolutions)       GB/s   bytes read+written / time (the rest)
//   pct_peak   of the device's peak for the row's math mode (FP32 FMA, TF32 or FP16/BF16 tensor cores)
//              or of DRAM bandwidth; 0 when the device is not in the peak table below
//   x_cudnn    cuDNN time / this kernel's time, cuDNN run in the matching math mode (FMA for FP32
//              rows, TF32 for tensor-core rows): 1.0 = as fast as cuDNN
// The row label names the device and the math mode. Without a GPU the program says why and exits 0
// (--benchmark_list_tests still lists the rows, which scripts/gpu_check.sh --dry-run uses to check
// its filters). Run from the build folder, e.g. one layer and the engine's variants only:
//   ./bench/bench_cuda_kernels --benchmark_filter='s/b1/m2_m_cv2.*/(k5|k6_tf32|cudnn)'
//
// The training rows (train/...) time the kernels a step adds to the network's: the loss layout's permute of
// the largest Detect level (yolov5n/s at 640, batch 16, 80 classes), and the SGD update and the clipping norm's
// chunk sums over yolov5s' 7.2M parameters.
//
// The model rows (model/...) time the whole network through the tensor layer, with no L2 flush (a
// forward runs back to back in real use): yolov5n/s batch-1 inference with BN folded, eager (the conv
// stack and the Detect decode, as bench/compare/model_torch_gpu.py times PyTorch) and replayed as one
// CUDA graph (the conv stack only: the decode reads the anchors on the host); a training forward +
// backward of yolov5n at 640 batch 16 (no loss or optimizer: the same work as the PyTorch peer's fwd+bwd
// rows); and the whole training step of `train --device cuda` (forward, the loss on the host with its
// two transfers, backward, clipping, SGD, EMA; 8 random boxes per image, 80 classes), the peer of
// model_torch_gpu.py's step rows. Images are on the device already (the loop's upload is not timed).
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/yolov5_layer_shapes.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/kernels.h"
#include "tensor/autograd.h"
#include "tensor/ops/concat.h"
#include "tensor/random.h"
#include "train/ema.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "yolo/loss.h"
#include "yolo/model.h"
#include "yolo/yaml_config.h"

namespace {

using namespace yp::cuda;

// --- the device and its peaks (dense, no sparsity) ---
struct Peaks {
  double fp32_tflops = 0, tf32_tflops = 0, fp16_tflops = 0, dram_tbps = 0;
};

Peaks peaks_for(const std::string& name) {
  if (name.find("H100") != std::string::npos && name.find("PCIe") != std::string::npos) return {51.2, 378.0, 756.0, 2.0};
  if (name.find("H100") != std::string::npos) return {66.9, 494.7, 989.4, 3.35};  // SXM5
  if (name.find("H200") != std::string::npos) return {66.9, 494.7, 989.4, 4.8};
  return {};
}

std::string g_device;
Peaks g_peaks;

// --- timing ---
struct Flush {
  void* buf = nullptr;
  size_t bytes = 0;
  Flush() {
    int dev = 0, l2 = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    bytes = 2 * (size_t)l2;
    CUDA_CHECK(cudaMalloc(&buf, bytes));
  }
  void operator()() const { CUDA_CHECK(cudaMemsetAsync(buf, 0, bytes, current_stream())); }
};

// Milliseconds of one call of fn on the current stream, measured with events.
double time_warm(const std::function<void()>& fn) {
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start, current_stream()));
  fn();
  CUDA_CHECK(cudaEventRecord(stop, current_stream()));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  return ms;
}

// The same after an L2 flush, so that each run starts cold as in a real forward.
double time_once(const std::function<void()>& fn) {
  static Flush flush;
  flush();
  return time_warm(fn);
}

double median_ms(const std::function<void()>& fn, int runs = 5) {
  fn();  // warm-up (cuDNN algorithm search, col buffer allocation)
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) t.push_back(time_once(fn));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Runs the benchmark loop; returns the mean seconds per call (the counters are computed from it
// directly rather than through Google Benchmark's rate flags, which divide by CPU time).
double run_timed(benchmark::State& state, const std::function<void()>& fn) {
  fn();
  double total_s = 0;
  int64_t calls = 0;
  for (auto _ : state) {
    const double s = time_once(fn) * 1e-3;
    state.SetIterationTime(s);
    total_s += s;
    ++calls;
  }
  return calls ? total_s / (double)calls : 0;
}

// Device buffer filled with small random-ish values (a hash, so no host transfer of 100s of MB).
struct Buf {
  void* p = nullptr;
  size_t bytes = 0;
  explicit Buf(size_t b) : p(caching_malloc(b)), bytes(b) { CUDA_CHECK(cudaMemsetAsync(p, 0x3c, b, current_stream())); }
  ~Buf() { caching_free(p, bytes); }
  float* f() const { return static_cast<float*>(p); }
};

// --- the layers: bench/yolov5_layer_shapes.h (the table bench_conv2d.cpp uses too) ---
using Layer = yp::bench::Yolov5ConvLayer;

Conv2dShape shape_of(const Layer& l, bool nano, int batch) {
  const int c = int(nano && l.C != 3 ? l.C / 2 : l.C);
  const int k = int(nano && l.K != 255 ? l.K / 2 : l.K);
  return Conv2dShape::make(batch, c, int(l.in_size), int(l.in_size), k, int(l.kernel), int(l.kernel), int(l.stride),
                           l.pad());
}

enum class Math { FP32, TF32, Half };

void set_conv_counters(benchmark::State& state, const Conv2dShape& s, Math math, double seconds, double cudnn_ms) {
  if (seconds <= 0) return;
  const double peak =
      math == Math::FP32 ? g_peaks.fp32_tflops : math == Math::TF32 ? g_peaks.tf32_tflops : g_peaks.fp16_tflops;
  const double flops_per_s = s.flops() / seconds;
  state.counters["GFLOP/s"] = flops_per_s * 1e-9;
  state.counters["pct_peak"] = peak > 0 ? flops_per_s / (peak * 1e12) * 100 : 0;
  if (cudnn_ms > 0) state.counters["x_cudnn"] = cudnn_ms * 1e-3 / seconds;
}

std::string math_label(Math m) { return m == Math::FP32 ? "FMA" : m == Math::TF32 ? "TF32" : "FP16/BF16 in, FP32 acc"; }

double cudnn_forward_ms(const Conv2dShape& s, Conv2dMath math, const float* x, const float* w, float* y) {
#if YOLOPICK_WITH_CUDNN
  return median_ms([&] { cudnn::conv2d_forward(x, w, nullptr, y, s, math); });
#else
  (void)s, (void)math, (void)x, (void)w, (void)y;
  return 0;
#endif
}

void BM_conv_forward(benchmark::State& state, Conv2dShape s, std::string variant) {
  Buf x(s.x_numel() * 4), w(s.w_numel() * 4), y(s.y_numel() * 4);
  Buf xh(s.x_numel() * 2), wh(s.w_numel() * 2);
  const Math math = variant == "k6_tf32" || variant == "cudnn_tf32" ? Math::TF32
                    : variant == "k6_f16" || variant == "k6_bf16"    ? Math::Half
                                                                      : Math::FP32;
  std::function<void()> fn;
  if (variant == "k1") fn = [&] { conv2d_forward_kernel1(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k2") fn = [&] { conv2d_forward_kernel2(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k3") fn = [&] { conv2d_forward_kernel3(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k4") fn = [&] { conv2d_forward_kernel4(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k5") fn = [&] { conv2d_forward_kernel5(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "engine") fn = [&] { conv2d_forward(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "fused_silu") fn = [&] { conv2d_bias_silu_forward(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k6_tf32") fn = [&] { conv2d_forward_kernel6_tf32(x.f(), w.f(), nullptr, y.f(), s); };
  if (variant == "k6_f16")
    fn = [&] { conv2d_forward_kernel6_f16((const __half*)xh.p, (const __half*)wh.p, nullptr, y.f(), s); };
  if (variant == "k6_bf16")
    fn = [&] {
      conv2d_forward_kernel6_bf16((const __nv_bfloat16*)xh.p, (const __nv_bfloat16*)wh.p, nullptr, y.f(), s);
    };
#if YOLOPICK_WITH_CUDNN
  if (variant == "cudnn_fma") fn = [&] { cudnn::conv2d_forward(x.f(), w.f(), nullptr, y.f(), s, Conv2dMath::FP32); };
  if (variant == "cudnn_tf32") fn = [&] { cudnn::conv2d_forward(x.f(), w.f(), nullptr, y.f(), s, Conv2dMath::TF32); };
#endif
  if (!fn) {
    state.SkipWithError("variant not built (cuDNN missing)");
    return;
  }
  const bool is_cudnn = variant.rfind("cudnn", 0) == 0;
  const double cudnn_ms =
      is_cudnn ? 0 : cudnn_forward_ms(s, math == Math::FP32 ? Conv2dMath::FP32 : Conv2dMath::TF32, x.f(), w.f(), y.f());
  const double seconds = run_timed(state, fn);
  set_conv_counters(state, s, math, seconds, cudnn_ms);
  state.SetLabel(g_device + ", " + math_label(math) + ", " + s.str());
}

void BM_conv_backward(benchmark::State& state, Conv2dShape s, std::string variant) {
  Buf x(s.x_numel() * 4), w(s.w_numel() * 4), dy(s.y_numel() * 4), dx(s.x_numel() * 4), dw(s.w_numel() * 4);
  std::function<void()> fn, ref;
  if (variant == "hand_data") fn = [&] { conv2d_backward_data(dy.f(), w.f(), dx.f(), s); };
  if (variant == "hand_weight") fn = [&] { conv2d_backward_weight(x.f(), dy.f(), dw.f(), s); };
#if YOLOPICK_WITH_CUDNN
  if (variant == "hand_data") ref = [&] { cudnn::conv2d_backward_data(dy.f(), w.f(), dx.f(), s, Conv2dMath::FP32); };
  if (variant == "hand_weight") ref = [&] { cudnn::conv2d_backward_weight(x.f(), dy.f(), dw.f(), s, Conv2dMath::FP32); };
#endif
  const double cudnn_ms = ref ? median_ms(ref) : 0;
  const double seconds = run_timed(state, fn);
  set_conv_counters(state, s, Math::FP32, seconds, cudnn_ms);
  state.SetLabel(g_device + ", FMA, " + s.str());
}

// Memory-bound kernels: GB/s and % of DRAM peak.
void BM_memory_bound(benchmark::State& state, std::string op, int batch, int c, int hw) {
  const int64_t n = (int64_t)batch * c * hw * hw;
  Buf x(n * 4), y(n * 4 * 4), g(c * 4), b(c * 4), rm(c * 4), rv(c * 4), sm(c * 4), si(c * 4);
  std::function<void()> fn;
  double bytes = 0;
  if (op == "silu") fn = [&] { silu_forward_f32(x.f(), y.f(), n); }, bytes = 8.0 * n;
  if (op == "bn_train") {  // stats read x twice, normalise reads x and writes y
    fn = [&] { batchnorm2d_forward_train(x.f(), g.f(), b.f(), y.f(), rm.f(), rv.f(), sm.f(), si.f(), batch, c, (int64_t)hw * hw, 0.03f, 1e-3f); };
    bytes = 16.0 * n;
  }
  if (op == "maxpool5") {
    const PoolShape s = PoolShape::make(batch, c, hw, hw, 5, 1, 2);
    fn = [=] { maxpool2d_forward(x.f(), y.f(), s); };
    bytes = 8.0 * n;
  }
  if (op == "upsample2") fn = [&] { upsample_nearest_forward(x.f(), y.f(), (int64_t)batch * c, hw, hw, 2); }, bytes = 20.0 * n;
  const double seconds = run_timed(state, fn);
  if (seconds > 0) {
    state.counters["GB/s"] = bytes / seconds * 1e-9;
    state.counters["pct_peak"] = g_peaks.dram_tbps > 0 ? bytes / seconds / (g_peaks.dram_tbps * 1e12) * 100 : 0;
  }
  state.SetLabel(g_device + ", FP32");
}

// --- the kernels a training step adds ---
void BM_train_kernel(benchmark::State& state, std::string op) {
  std::function<void()> fn;
  double bytes = 0;
  std::vector<std::unique_ptr<Buf>> bufs;
  const auto buf = [&](size_t b) { return bufs.emplace_back(std::make_unique<Buf>(b))->f(); };
  if (op == "permute_loss_layout") {  // (16, 3, 85, 80, 80) -> (16, 3, 80, 80, 85)
    const int64_t n = 16LL * 255 * 80 * 80;
    float *x = buf(n * 4), *y = buf(n * 4);
    PermuteShape s;
    s.dims = 5;
    const int64_t out[5] = {16, 3, 80, 80, 85}, stride[5] = {3LL * 85 * 6400, 85LL * 6400, 80, 1, 6400};
    for (int d = 0; d < 5; ++d) s.out_size[d] = out[d], s.in_stride[d] = stride[d];
    fn = [=] { permute_copy(x, y, n, 4, s); };
    bytes = 8.0 * n;
  } else {
    const int64_t n = 7225885;  // yolov5s' parameters
    float *p = buf(n * 4), *g = buf(n * 4), *m = buf(n * 4);
    double* partials = reinterpret_cast<double*>(buf(reduce_chunk_count(n) * 8));
    if (op == "sgd_update") fn = [=] { sgd_nesterov_update(p, g, m, n, 0.01, 0.937, 5e-4); }, bytes = 20.0 * n;
    if (op == "sum_of_squares") fn = [=] { chunk_sums_f32(g, n, true, partials); }, bytes = 4.0 * n;
  }
  const double seconds = run_timed(state, fn);
  if (seconds > 0) {
    state.counters["GB/s"] = bytes / seconds * 1e-9;
    state.counters["pct_peak"] = g_peaks.dram_tbps > 0 ? bytes / seconds / (g_peaks.dram_tbps * 1e12) * 100 : 0;
  }
  state.SetLabel(g_device + ", FP32");
}

// --- the whole model through the tensor layer ---
enum class ModelRun { EagerInference, GraphInference, TrainForwardBackward, TrainStep };

// The state of a training step as the loop keeps it: optimizer (YOLOv5's groups, SGD-Nesterov), EMA, targets.
struct TrainStepState {
  std::vector<yp::Tensor> params;
  std::unique_ptr<yp::train::Optimizer> optimizer;
  std::unique_ptr<yp::train::ModelEMA> ema;
  std::vector<yp::yolo::Target> targets;
  yp::yolo::LossConfig loss;

  TrainStepState(yp::yolo::Model& model, int batch, int size, yp::Rng& rng) {
    const yp::NamedTensors named = yp::train::model_parameters(model);
    for (const auto& [name, p] : named) params.push_back(p);
    optimizer = std::make_unique<yp::train::Optimizer>(yp::train::OptimizerKind::SGD,
                                                        yp::train::build_param_groups(named, 0.01, 0.937, 5e-4));
    ema = std::make_unique<yp::train::ModelEMA>(yp::train::training_state(model));
    for (int i = 0; i < batch; ++i)
      for (int k = 0; k < 8; ++k) {
        const double w = rng.uniform(0.03, 0.3), h = rng.uniform(0.03, 0.3);
        targets.push_back({i, (int)rng.uniform(0, 80), rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h});
      }
    loss.nc = model.nc();
    loss.image_size = size;
  }
  void step(yp::yolo::Model& model, const yp::Tensor& x) {
    const int na = (int)model.anchors()[0].size(0);
    const yp::yolo::LossResult l = yp::yolo::yolo_loss(yp::yolo::loss_layout(model.forward_raw(x), na), model.anchors(),
                                                       targets, loss);
    l.total.backward();
    yp::train::clip_grad_norm(params, 10.0);
    optimizer->step();
    optimizer->zero_grad();
    ema->update(yp::train::training_state(model));
  }
};

void BM_model(benchmark::State& state, std::string name, int size, int batch, ModelRun run, int nc) {
  yp::yolo::ModelOptions options;
  options.seed = 1;
  options.nc = nc;  // 0: the config's 80
  yp::yolo::Model model(yp::yolo::builtin_yolo_config(name), options);
  yp::Rng rng(2);
  const yp::Tensor x = yp::rand_uniform({batch, 3, size, size}, 0.0, 1.0, rng).to(yp::Device::CUDA);
  std::function<void()> fn;
  std::vector<yp::Tensor> raw;
  yp::Tensor seed;
  CudaGraph graph;
  std::unique_ptr<TrainStepState> training;
  if (run == ModelRun::TrainStep) {
    model.to(yp::Device::CUDA);
    training = std::make_unique<TrainStepState>(model, batch, size, rng);
    fn = [&] { training->step(model, x); };
  } else if (run == ModelRun::TrainForwardBackward) {
    model.to(yp::Device::CUDA);
    fn = [&] {
      std::vector<yp::Tensor> flat;  // every level in one (N, sum, 1, 1) tensor, so one backward covers all
      for (const yp::Tensor& r : model.forward_raw(x)) flat.push_back(r.reshape({r.size(0), -1, 1, 1}));
      const yp::Tensor out = yp::concat_channels(flat);
      if (!seed.defined()) seed = yp::rand_uniform(out.shape(), -1.0, 1.0, rng).to(yp::Device::CUDA);
      out.backward(seed);
      for (auto& [param_name, p] : model.named_parameters()) p->zero_grad();
    };
  } else {
    model.fuse();
    model.to(yp::Device::CUDA);
    if (run == ModelRun::EagerInference) {
      fn = [&] { raw = {model.predict(x)}; };
    } else {
      yp::NoGradGuard no_grad;
      raw = model.forward_raw(x);  // times every conv shape and warms the allocator outside the capture
      graph.begin_capture();
      raw = model.forward_raw(x);
      graph.end_capture();
      fn = [&] { graph.replay(); };
    }
  }
  fn();  // warm-up: conv variant timing, allocator
  double total_ms = 0;
  int64_t calls = 0;
  for (auto _ : state) {
    const double ms = time_warm(fn);  // no flush: a forward runs back to back in real use
    state.SetIterationTime(ms * 1e-3);
    total_ms += ms;
    ++calls;
  }
  if (calls > 0) state.counters["images/s"] = batch * calls / (total_ms * 1e-3);
  const char* what = run == ModelRun::EagerInference         ? "eager, BN folded, conv stack + decode"
                     : run == ModelRun::GraphInference       ? "CUDA graph, BN folded, conv stack"
                     : run == ModelRun::TrainForwardBackward ? "training forward + backward, no loss"
                                                             : "training step: loss on the host, clip, SGD, EMA";
  state.SetLabel(g_device + ", FP32 (" + what + ")");
}

void register_model_rows() {
  for (const char* name : {"yolov5n", "yolov5s"})
    for (int size : {640, 1024}) {
      const std::string prefix = std::string("model/") + name + "/" + std::to_string(size) + "/b1/";
      benchmark::RegisterBenchmark((prefix + "eager").c_str(), BM_model, std::string(name), size, 1,
                                   ModelRun::EagerInference, 0)
          ->UseManualTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark((prefix + "graph").c_str(), BM_model, std::string(name), size, 1,
                                   ModelRun::GraphInference, 0)
          ->UseManualTime()->Unit(benchmark::kMillisecond);
    }
  benchmark::RegisterBenchmark("model/yolov5n/640/b16/train_fwd_bwd", BM_model, std::string("yolov5n"), 640, 16,
                               ModelRun::TrainForwardBackward, 0)
      ->UseManualTime()->Unit(benchmark::kMillisecond);
  // A step takes ~0.1-0.5 s: a fixed 5 timed steps (after the warm-up one) instead of --benchmark_min_time's
  // single one. The picker's 2 classes: the loss's host share (its transfers and loops scale with 5 + nc per
  // anchor) shrinks.
  benchmark::RegisterBenchmark("model/yolov5n/640/b16/train_step", BM_model, std::string("yolov5n"), 640, 16,
                               ModelRun::TrainStep, 0)
      ->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);
  benchmark::RegisterBenchmark("model/yolov5n/640/b16/train_step_nc2", BM_model, std::string("yolov5n"), 640, 16,
                               ModelRun::TrainStep, 2)
      ->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);
}

void register_all() {
  const std::vector<std::string> forward_variants = {"k1", "k2", "k3", "k4", "k5", "engine", "fused_silu",
                                                     "k6_tf32", "k6_f16", "k6_bf16", "cudnn_fma", "cudnn_tf32"};
  for (const char* model : {"n", "s"})
    for (int batch : {1, 8})
      for (const Layer& l : yp::bench::yolov5s_conv_layers()) {
        const Conv2dShape s = shape_of(l, model[0] == 'n', batch);
        const std::string prefix = std::string(model) + "/b" + std::to_string(batch) + "/" + l.name + "/";
        for (const std::string& v : forward_variants)
          benchmark::RegisterBenchmark((prefix + v).c_str(), BM_conv_forward, s, v)->UseManualTime()->Unit(benchmark::kMicrosecond);
        for (const char* v : {"hand_data", "hand_weight"})
          benchmark::RegisterBenchmark((prefix + v).c_str(), BM_conv_backward, s, std::string(v))
              ->UseManualTime()->Unit(benchmark::kMicrosecond);
      }
  for (const char* op : {"permute_loss_layout", "sgd_update", "sum_of_squares"})
    benchmark::RegisterBenchmark((std::string("train/") + op).c_str(), BM_train_kernel, std::string(op))
        ->UseManualTime()->Unit(benchmark::kMicrosecond);
  // SPPF (s: 256 channels at 32x32) and the first neck levels at 1024.
  for (int batch : {1, 8})
    for (const char* op : {"silu", "bn_train", "maxpool5", "upsample2"}) {
      const std::string name = std::string("s/b") + std::to_string(batch) + "/" + op;
      benchmark::RegisterBenchmark((name + "/c64_hw256").c_str(), BM_memory_bound, std::string(op), batch, 64, 256)
          ->UseManualTime()->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((name + "/c256_hw32").c_str(), BM_memory_bound, std::string(op), batch, 256, 32)
          ->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  register_model_rows();
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::string(argv[i]).rfind("--benchmark_list_tests", 0) == 0;
  std::string reason;
  if (device_count(&reason) == 0 && !listing) {
    std::printf("bench_cuda_kernels: skipped, no CUDA device: %s\n", reason.c_str());
    return 0;
  }
  if (listing) {  // names only: nothing touches a device
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
  }
  g_device = device_name(0);
  g_peaks = peaks_for(g_device);
  std::printf("device: %s (peaks FP32 %.1f, TF32 %.1f, FP16 %.1f TFLOP/s, DRAM %.2f TB/s%s)\n", g_device.c_str(),
              g_peaks.fp32_tflops, g_peaks.tf32_tflops, g_peaks.fp16_tflops, g_peaks.dram_tbps,
              g_peaks.dram_tbps > 0 ? "" : "; not in the peak table, pct_peak = 0");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
