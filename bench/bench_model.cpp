// bench_model.cpp: CPU batch-1 inference of yolov5n and yolov5s (random weights, BN folded, no
// autograd) at 640 and 1024, RGB and gray (one input channel), with the time split by layer type.
//
//   ./bench/bench_model --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   OMP_NUM_THREADS=2 sets the threads (default: every core).
//   YP_LAYER_TABLE=1 also prints, per row, the mean ms of every layer index (model.N) to stderr.
// Counters per row: GFLOP/s (the model's analytic FLOPs, yolo/model.h, over the wall time) and
// ms per layer type (Conv, C3, SPPF, nn.Upsample, Concat, Detect, decode) per forward.
// The PyTorch eager peer is bench/compare/model_torch.py and the ONNX Runtime one model_onnx.py (same network,
// same weights, same threads); bench/compare/compare.py runs all three alternated.
//   ./bench/bench_model --save-model yolov5s /tmp/y5s.safetensors   writes the built-in network with its random
//   initialisation as a model file, for the peers (only yolov5n's official weights are at hand).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tensor/autograd.h"
#include "tensor/parallel.h"
#include "yolo/model.h"
#include "yolo/model_file.h"

namespace {

using yp::yolo::Model;

// Times model.forward (conv stack + decode) on a random input; fills the per-layer-type counters.
void run(benchmark::State& state, Model& model, int size) {
  const int channels = model.input_channels();
  model.fuse();
  yp::Rng rng(2);
  const yp::Tensor x = yp::rand_uniform({1, channels, size, size}, 0, 1, rng);
  std::map<std::string, double> per_type;
  std::map<int, std::pair<std::string, double>> per_layer;
  yp::NoGradGuard no_grad;
  model.forward(x);  // warm-up (allocator, OpenMP pool)
  model.layer_timer = [&](int index, const char* type, double s) {
    per_type[type] += s;
    per_layer[index].first = type;
    per_layer[index].second += s;
  };
  per_type.clear();
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(x).decoded);
  const double iters = (double)state.iterations();
  for (const auto& [type, s] : per_type) state.counters[type + "_ms"] = s / iters * 1e3;
  state.counters["GFLOP/s"] =
      benchmark::Counter((double)model.flops(size, size), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = yp::cpu_threads();
  model.layer_timer = nullptr;
  if (std::getenv("YP_LAYER_TABLE"))
    for (const auto& [index, entry] : per_layer)
      std::fprintf(stderr, "  model.%-3d %-12s %8.3f ms\n", index, entry.first.c_str(), entry.second / iters * 1e3);
}

void BM_Model(benchmark::State& state, const char* name, int size, int channels) {
  yp::yolo::ModelOptions o;
  o.input_channels = channels;
  o.seed = 1;
  Model model(yp::yolo::builtin_yolo_config(name), o);
  run(state, model, size);
  state.SetLabel(std::string(name) + (channels == 1 ? " gray " : " rgb ") + std::to_string(size));
}

// The model file named by $YP_MODEL_FILE (the weights model_torch.py times), RGB and gray.
void BM_ModelFile(benchmark::State& state, const std::string& path, int size, int channels) {
  yp::yolo::LoadedModel loaded = yp::yolo::load_model(path, channels);
  run(state, *loaded.model, size);
  state.SetLabel(path + (channels == 1 ? " gray " : " rgb ") + std::to_string(size));
}

BENCHMARK_CAPTURE(BM_Model, yolov5n_640_rgb, "yolov5n", 640, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Model, yolov5n_1024_rgb, "yolov5n", 1024, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Model, yolov5n_1024_gray, "yolov5n", 1024, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Model, yolov5s_640_rgb, "yolov5s", 640, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Model, yolov5s_1024_rgb, "yolov5s", 1024, 3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Model, yolov5s_1024_gray, "yolov5s", 1024, 1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  yp::restart_with_passive_openmp_wait(argv);  // as yolopick runs (tensor/parallel.h)
  if (argc == 4 && std::string(argv[1]) == "--save-model") {
    yp::yolo::ModelOptions o;
    o.seed = 1;
    Model model(yp::yolo::builtin_yolo_config(argv[2]), o);
    yp::yolo::save_model(argv[3], model, {});
    return 0;
  }
  if (const char* path = std::getenv("YP_MODEL_FILE")) {
    for (int size : {640, 1024})
      for (int channels : {3, 1})
        benchmark::RegisterBenchmark(("BM_ModelFile/file_" + std::to_string(size) + (channels == 1 ? "_gray" : "_rgb")).c_str(),
                                     BM_ModelFile, std::string(path), size, channels)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
