// test_model_cuda.cpp: the whole YOLOv5n on the GPU against the same network on the CPU - the
// training forward (raw outputs, BN batch statistics and running statistics), the backward into every
// parameter, and the inference forward (decoded predictions) before and after BN folding. Every CUDA
// op a model uses is reached through the tensor layer here, so a missing dispatch or a kernel that
// only fails in combination shows up as a named layer's mismatch.
//
// Tolerances: float sums in another order differ by ~1e-7 relative per layer; through ~60 layers
// of training-mode BN and the backward that grows to ~1e-4 of a tensor's largest value. The bounds
// are 1e-3 (forward) and 1e-2 (gradients) of that scale - still far below what a wrong index, a
// missed element or a wrong formula does (errors of the order of the values themselves).
#include <algorithm>
#include <cmath>

#include "tensor/ops/concat.h"
#include "tensor/random.h"
#include "tests/cuda/cuda_test_support.h"
#include "yolo/model.h"
#include "yolo/yaml_config.h"

namespace yp::test {
namespace {

constexpr double kForwardTol = 1e-3, kGradTol = 1e-2;

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : to_doubles(t)) m = std::max(m, std::fabs(v));
  return m;
}

// |gpu - cpu| <= tol * max|cpu| + tol * |cpu| elementwise.
::testing::AssertionResult close_at_scale(const Tensor& gpu, const Tensor& cpu, double tol) {
  return all_close(gpu, cpu, tol * std::max(max_abs(cpu), 1e-30), tol);
}

// Two identical yolov5n (2 classes, as the KLH picker): `cpu` stays on the CPU, `gpu` moves to
// `device` (the CPU too for the harness check below).
struct TwinModels {
  std::unique_ptr<yolo::Model> cpu, gpu;
  explicit TwinModels(Device device) {
    yolo::ModelOptions options;
    options.nc = 2;
    options.seed = 7;
    const yolo::YoloConfig config = yolo::builtin_yolo_config("yolov5n");
    cpu = std::make_unique<yolo::Model>(config, options);
    gpu = std::make_unique<yolo::Model>(config, options);
    const NamedTensorRefs from = cpu->state_dict(), to = gpu->state_dict();
    for (size_t i = 0; i < from.size(); ++i) to[i].second->copy_from(*from[i].second);
    gpu->to(device);
  }
};

// The raw outputs of all levels flattened into one (N, sum, 1, 1) tensor, so one backward covers them.
Tensor joined(const std::vector<Tensor>& raw) {
  std::vector<Tensor> flat;
  for (const Tensor& r : raw) flat.push_back(r.reshape({r.size(0), -1, 1, 1}));
  return concat_channels(flat);
}

Tensor input_batch() {
  Rng rng(11);
  return rand_uniform({2, 3, 64, 96}, 0.0, 1.0, rng);  // not square: H and W strides differ
}

void check_training_step(Device device, double forward_tol, double grad_tol) {
  TwinModels m(device);
  ASSERT_EQ(m.gpu->state_dict()[0].second->device(), device);
  const Tensor x = input_batch();
  const std::vector<Tensor> raw_cpu = m.cpu->forward_raw(x), raw_gpu = m.gpu->forward_raw(x.to(device));
  ASSERT_EQ(raw_cpu.size(), raw_gpu.size());
  for (size_t l = 0; l < raw_cpu.size(); ++l) {
    EXPECT_EQ(raw_gpu[l].device(), device);
    EXPECT_TRUE(close_at_scale(raw_gpu[l], raw_cpu[l], forward_tol)) << "raw output of level " << l;
  }
  Tensor out_cpu = joined(raw_cpu), out_gpu = joined(raw_gpu);
  Rng rng(12);
  const Tensor seed = rand_uniform(out_cpu.shape(), -1.0, 1.0, rng);
  out_cpu.backward(seed);
  out_gpu.backward(seed.to(device));
  const NamedTensorRefs p_cpu = m.cpu->named_parameters(), p_gpu = m.gpu->named_parameters();
  ASSERT_EQ(p_cpu.size(), p_gpu.size());
  for (size_t i = 0; i < p_cpu.size(); ++i) {
    ASSERT_TRUE(p_gpu[i].second->grad().defined()) << p_gpu[i].first << " got no gradient";
    EXPECT_TRUE(close_at_scale(p_gpu[i].second->grad(), p_cpu[i].second->grad(), grad_tol)) << p_cpu[i].first;
  }
  const NamedTensorRefs b_cpu = m.cpu->named_buffers(), b_gpu = m.gpu->named_buffers();
  for (size_t i = 0; i < b_cpu.size(); ++i)
    EXPECT_TRUE(close_at_scale(*b_gpu[i].second, *b_cpu[i].second, forward_tol)) << b_cpu[i].first;
}

// The harness itself, without a GPU: twins on the CPU must agree to the bit (a wrong copy of the
// weights, a level left out of the joined output or a gradient not reached would show here first).
TEST(CudaModelHarness, TwinsOnTheCpuAgreeExactly) { check_training_step(Device::CPU, 0.0, 0.0); }

TEST(CudaModel, TrainingForwardAndBackwardMatchCpu) {
  YP_REQUIRE_CUDA();
  check_training_step(Device::CUDA, kForwardTol, kGradTol);
}

TEST(CudaModel, InferenceMatchesCpuUnfoldedAndFolded) {
  YP_REQUIRE_CUDA();
  TwinModels m(Device::CUDA);
  const Tensor x = input_batch();
  m.cpu->eval();
  m.gpu->eval();
  const Tensor x_gpu = x.to(Device::CUDA);
  EXPECT_TRUE(close_at_scale(m.gpu->predict(x_gpu), m.cpu->predict(x), kForwardTol)) << "eval, BN unfolded";
  m.cpu->fuse();
  m.gpu->fuse();  // folds on the host, keeps the folded weights on the GPU
  const Tensor y_gpu = m.gpu->predict(x_gpu);
  EXPECT_TRUE(y_gpu.is_cuda());
  EXPECT_TRUE(close_at_scale(y_gpu, m.cpu->predict(x), kForwardTol)) << "eval, BN folded";
}

}  // namespace
}  // namespace yp::test
