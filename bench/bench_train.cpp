// bench_train.cpp: one CPU training step of YOLOv5 as `yolopick train` runs it: forward in training mode (BN
// batch statistics), the YOLOv5 loss, backward, gradient clipping (norm 10) and the SGD step (YOLOv5's three
// parameter groups, Nesterov momentum 0.937), on a random batch with 8 random boxes per image.
//
//   OMP_NUM_THREADS=2 ./bench/bench_train --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// The PyTorch eager peer is `bench/compare/model_torch.py --train` (same network, loss and optimizer);
// bench/compare/compare.py runs both alternated.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "train/initial_model.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "yolo/loss.h"

namespace {

using namespace yp;

void BM_TrainStep(benchmark::State& state, const char* name, int size, int batch) {
  train::InitialModel built = train::initial_model(name, 80, 3, 1);
  yolo::Model& model = *built.model;
  model.train();
  const NamedTensors params = train::model_parameters(model);
  std::vector<Tensor> all;
  for (const auto& [n, t] : params) all.push_back(t);
  train::Optimizer opt(train::OptimizerKind::SGD, train::build_param_groups(params, 0.01, 0.937, 5e-4));
  Rng rng(4);
  const Tensor images = rand_uniform({batch, 3, size, size}, 0, 1, rng);
  std::vector<yolo::Target> targets;
  for (int i = 0; i < batch; ++i)
    for (int k = 0; k < 8; ++k) {
      const double w = rng.uniform(0.03, 0.3), h = rng.uniform(0.03, 0.3);
      targets.push_back({i, (int)rng.uniform(0, 80), rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h});
    }
  yolo::LossConfig lc;
  lc.nc = 80;
  lc.image_size = size;
  const int na = (int)model.anchors()[0].size(0);
  const auto step = [&] {
    const yolo::LossResult loss = yolo::yolo_loss(yolo::loss_layout(model.forward_raw(images), na), model.anchors(), targets, lc);
    loss.total.backward();
    train::clip_grad_norm(all, 10.0);
    opt.step();
    opt.zero_grad();
  };
  step();  // warm-up (allocator, OpenMP pool)
  for (auto _ : state) step();
  state.counters["threads"] = cpu_threads();
  state.SetLabel(std::string(name) + " " + std::to_string(size) + " batch " + std::to_string(batch));
}

BENCHMARK_CAPTURE(BM_TrainStep, yolov5n_640_b4, "yolov5n", 640, 4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  yp::restart_with_passive_openmp_wait(argv);  // as yolopick runs (tensor/parallel.h)
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
