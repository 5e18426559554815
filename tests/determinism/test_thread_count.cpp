// The same inputs give the same bytes whatever the number of CPU threads (1, 2, 3, 16): every parallel loop
// splits its work by output and keeps a fixed order inside each output (docs/autograd.md, "Determinism").
// Each test runs a whole computation once per thread count, through yp::set_cpu_threads, and compares the
// raw bytes of every result with those of the single-threaded run.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "imgproc/chain.h"
#include "picker/pipeline/pick.h"
#include "picker/simulate.h"
#include "tensor/autograd.h"
#include "tensor/ops/conv2d.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "train/initial_model.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "yolo/loss.h"

using namespace yp;

namespace {

const int kThreadCounts[] = {1, 2, 3, 16};

void append_bytes(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
void append_tensor(std::string& out, const Tensor& t) {
  ASSERT_TRUE(t.defined());
  append_bytes(out, t.raw_data(), (size_t)t.numel() * dtype_size(t.dtype()));
}

// Runs `compute` with each thread count; every run must give the bytes of the first (1 thread).
void expect_same_bytes_for_any_thread_count(const std::function<std::string()>& compute) {
  std::string reference;
  for (int threads : kThreadCounts) {
    set_cpu_threads(threads);
    const std::string bytes = compute();
    if (threads == kThreadCounts[0]) {
      reference = bytes;
      ASSERT_FALSE(reference.empty());
      continue;
    }
    ASSERT_EQ(bytes.size(), reference.size()) << threads << " threads";
    size_t first = 0;
    while (first < bytes.size() && bytes[first] == reference[first]) ++first;
    EXPECT_EQ(first, bytes.size()) << threads << " threads: the bytes differ from 1 thread's from byte " << first
                                   << " of " << bytes.size();
  }
  set_cpu_threads(0);
}

// A simulated micrograph as float counts (as an MRC file holds it; `float_counts` false: the 8-bit picture).
imgproc::Image simulated_micrograph(int size, uint64_t seed, bool float_counts) {
  picker::SimulationParams params;
  params.size = size;
  params.seed = seed;
  const picker::SimulatedMicrograph sim = picker::simulate_micrograph(params, 0);
  imgproc::Image raw(sim.size, sim.size);
  if (float_counts) {
    raw.data = sim.counts;
  } else {
    const std::vector<uint8_t> grey = sim.to_grey();
    std::copy(grey.begin(), grey.end(), raw.data.begin());
  }
  return raw;
}

}  // namespace

// Convolution alone, on shapes that the engine cuts into several bands (forward) and with a batch (the
// weight gradient sums over images): output and all three gradients.
TEST(ThreadCount, ConvolutionForwardAndBackwardGiveTheSameBytes) {
  struct Case {
    int64_t N, C, K, kernel, stride, pad, size;
  };
  for (const Case& c : {Case{1, 32, 32, 3, 1, 1, 128}, Case{3, 16, 24, 3, 2, 1, 98}, Case{2, 64, 48, 1, 1, 0, 64},
                        Case{1, 3, 16, 6, 2, 2, 130}}) {
    Rng rng(7);
    const Tensor x0 = randn({c.N, c.C, c.size, c.size}, rng);
    const Tensor w0 = randn({c.K, c.C, c.kernel, c.kernel}, rng);
    const Tensor b0 = randn({c.K}, rng);
    const Tensor dy_seed = randn({1}, rng);
    expect_same_bytes_for_any_thread_count([&] {
      Tensor x = x0.clone(), w = w0.clone(), b = b0.clone();
      x.set_requires_grad(true), w.set_requires_grad(true), b.set_requires_grad(true);
      const Tensor y = conv2d(x, w, b, {(int)c.stride, (int)c.pad});
      Rng r(11);
      const Tensor dy = randn(y.shape(), r);
      const std::vector<Tensor> g = y.grad_fn()->backward(dy);
      std::string out;
      append_tensor(out, y);
      for (const Tensor& t : g) append_tensor(out, t);
      return out;
    });
  }
}

// One training step of yolov5n (gray, 2 classes, 128 px, batch 3): forward with batch statistics, the YOLOv5
// loss, backward, gradient clipping and an SGD step. Compared: the loss and every parameter and buffer after
// the step.
TEST(ThreadCount, OneTrainingStepOfYolov5nGivesTheSameBytes) {
  Rng rng(3);
  const Tensor images = rand_uniform({3, 1, 128, 128}, 0, 1, rng);
  const std::vector<yolo::Target> targets = {{0, 0, 0.40, 0.45, 0.20, 0.25}, {0, 1, 0.70, 0.30, 0.15, 0.35},
                                             {1, 0, 0.30, 0.70, 0.25, 0.20}, {2, 1, 0.55, 0.55, 0.40, 0.30}};
  expect_same_bytes_for_any_thread_count([&] {
    train::InitialModel built = train::initial_model("yolov5n", 2, 1, 5);
    yolo::Model& model = *built.model;
    model.train();
    const NamedTensors params = train::model_parameters(model);
    train::Optimizer opt(train::OptimizerKind::SGD, train::build_param_groups(params, 0.01, 0.937, 5e-4));
    yolo::LossConfig lc;
    lc.nc = 2;
    lc.image_size = 128;
    const yolo::LossResult loss =
        yolo::yolo_loss(yolo::loss_layout(model.forward_raw(images), (int)model.anchors()[0].size(0)), model.anchors(), targets, lc);
    loss.total.backward();
    std::vector<Tensor> all;
    for (const auto& [name, t] : params) all.push_back(t);
    const double norm = train::clip_grad_norm(all, 10.0);
    opt.step();
    std::string out;
    append_tensor(out, loss.total);
    append_bytes(out, &norm, sizeof norm);
    for (const auto& [name, t] : train::training_state(model)) append_tensor(out, t);
    return out;
  });
}

// The study's chain (bicubic 2048 -> 1024, db15 wavelet, Wiener 9x9, CLAHE, normalisation) on a simulated
// micrograph in float counts (integer pixel values would make every running sum exact and hide a changed order).
TEST(ThreadCount, PreprocessingChainGivesTheSameBytes) {
  const imgproc::Image raw = simulated_micrograph(2048, 31, true);
  expect_same_bytes_for_any_thread_count([&] {
    const imgproc::Image out = imgproc::run_chain(raw, imgproc::ChainConfig{});
    std::string bytes;
    append_bytes(bytes, out.data.data(), out.data.size() * sizeof(float));
    return bytes;
  });
}

// A whole pick with the bundled KLH model: chain, network, NMS, mapping back.
TEST(ThreadCount, PickingAMicrographGivesTheSameBytes) {
  const yolo::Detector model = yolo::load_detector(std::string(YOLOPICK_SOURCE_DIR) + "/models/klh_yolov5n.safetensors");
  imgproc::LoadedImage raw;
  raw.image = simulated_micrograph(1536, 32, true);
  raw.format = "mrc";
  expect_same_bytes_for_any_thread_count([&] {
    const std::vector<picker::Pick> picks = picker::pick_micrograph(raw, model, {});
    std::string bytes;
    for (const picker::Pick& p : picks) {
      for (double v : {p.x, p.y, p.w, p.h, p.confidence}) append_bytes(bytes, &v, sizeof v);
      append_bytes(bytes, &p.cls, sizeof p.cls);
    }
    const size_t count = picks.size();
    append_bytes(bytes, &count, sizeof count);
    return bytes;
  });
}
