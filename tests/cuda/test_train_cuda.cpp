// test_train_cuda.cpp: training on the GPU against the same training on the CPU.
//
// 1. One full step of yolov5n (gray stem, 2 classes, as the KLH picker) on twin models: the forward in
//    training mode, the YOLOv5 loss (on the host, through loss_layout), the backward, gradient clipping,
//    the optimizer step (SGD-Nesterov and AdamW) and the EMA update; every gradient, parameter, optimizer
//    buffer, BN statistic and EMA tensor compared.
// 2. `train()` end to end (a tiny YOLOv5-grammar network on generated squares, 2 epochs, validation and
//    checkpoints included) with TrainConfig::device = CUDA against device = CPU, and a run stopped on one
//    device resumed on the other: the checkpoint format does not depend on the device.
//
// Tolerances. After the step, parameters are compared by their change (p_after - p_before): the weights
// themselves agree to float rounding whatever the step does, their change shows a wrong update. The
// gradients go through ~60 layers of float sums in another order and training-mode BN: the model test
// (test_model_cuda.cpp) bounds them at 1e-2 of each tensor's largest value; the loss's gradient
// (sigmoid(z) - t) carries the forward's ~1e-4 differences into the seed, which stays well inside that. The
// optimizer adds an ulp per formula. So the step's changes are held to 2e-2 of their tensor's scale; a
// wrong term (a missing momentum, an unclipped gradient) moves them by tens of percent. What is not
// continuous in the gradient (AdamW's first step, lr * g / |g|; the EMA that follows it) is checked against
// its formula on the device's own values instead, to 1.5 ulp. Two epochs of six steps compound the
// differences: 5e-2 there. The loss values are sums of thousands of terms: 1e-3 relative. Run on the CPU
// (the harness tests, without a GPU) both sides are the same code and every comparison is exact.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "imgproc/image_io.h"
#include "tensor/random.h"
#include "tests/cuda/cuda_test_support.h"
#include "tests/train/tiny_yolo.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "train/trainer.h"
#include "yolo/loss.h"
#include "yolo/model.h"
#include "yolo/model_file.h"
#include "yolo/yaml_config.h"

namespace fs = std::filesystem;

namespace yp::test {
namespace {

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// |got - ref| <= tol * max|ref| + tol * |ref| elementwise (tol 0: the same values).
::testing::AssertionResult close_at_scale(const std::vector<double>& got, const std::vector<double>& ref, double tol) {
  return all_close(got, ref, tol * std::max(max_abs(ref), 1e-30), tol);
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// ---- 1. one step -------------------------------------------------------------------------------------

constexpr double kStepTol = 2e-2, kLossTol = 1e-3;

struct Trainee {
  std::unique_ptr<yolo::Model> model;
  std::unique_ptr<train::Optimizer> optimizer;
  std::unique_ptr<train::ModelEMA> ema;
  std::vector<Tensor> params;
};

Trainee make_trainee(train::OptimizerKind kind, Device device) {
  yolo::ModelOptions options;
  options.nc = 2;
  options.input_channels = 1;
  options.seed = 7;
  Trainee t;
  t.model = std::make_unique<yolo::Model>(yolo::builtin_yolo_config("yolov5n"), options);
  t.model->to(device);
  const NamedTensors named = train::model_parameters(*t.model);
  for (const auto& [name, p] : named) t.params.push_back(p);
  std::vector<train::ParamGroup> groups = train::build_param_groups(named, 0.01, 0.937, 5e-4);
  if (kind == train::OptimizerKind::AdamW)
    for (auto& g : groups) g.lr = 1e-3;
  t.optimizer = std::make_unique<train::Optimizer>(kind, groups);
  // 1999 earlier updates: this update's decay is 0.9999 (1 - e^-1) = 0.63, so the EMA moves by a third of
  // the model's change and a wrong EMA shows.
  t.ema = std::make_unique<train::ModelEMA>(train::training_state(*t.model), 1999);
  return t;
}

struct StepRecord {
  yolo::LossResult loss;
  double norm = 0, ema_decay = 0;
  std::vector<double> lr, weight_decay;  // of each parameter's group
  std::vector<std::vector<double>> grads, param_before, param_after, first_moment, second_moment;
  std::vector<std::vector<double>> state_before, state_after, ema_after;  // training_state order
};

std::vector<std::vector<double>> values(const NamedTensors& tensors) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : tensors) out.push_back(to_doubles(t));
  return out;
}

StepRecord one_step(Trainee& t, const Tensor& images, const std::vector<yolo::Target>& targets, Device device) {
  StepRecord r;
  // The optimizer keeps its buffers in group order (bias, weight, bn); the record keeps parameter order.
  std::vector<size_t> slot;
  for (const Tensor& p : t.params) {
    size_t next = 0;
    for (const train::ParamGroup& g : t.optimizer->groups())
      for (const Tensor& q : g.params) {
        if (q.id() == p.id()) slot.push_back(next), r.lr.push_back(g.lr), r.weight_decay.push_back(g.weight_decay);
        ++next;
      }
  }
  EXPECT_EQ(slot.size(), t.params.size());
  r.state_before = values(train::training_state(*t.model));
  for (const Tensor& p : t.params) r.param_before.push_back(to_doubles(p));
  yolo::LossConfig config;
  config.nc = 2;
  config.image_size = 128;
  const int na = (int)t.model->anchors()[0].size(0);
  r.loss = yolo::yolo_loss(yolo::loss_layout(t.model->forward_raw(images.to(device)), na), t.model->anchors(), targets,
                           config);
  r.loss.total.backward();
  r.norm = train::clip_grad_norm(t.params, 1.0);  // below the norm of a first step: the rescale runs
  for (const Tensor& p : t.params) r.grads.push_back(p.grad().defined() ? to_doubles(p.grad()) : std::vector<double>{});
  t.optimizer->step();
  t.optimizer->zero_grad();
  r.ema_decay = t.ema->current_decay();
  t.ema->update(train::training_state(*t.model));
  for (const Tensor& p : t.params) r.param_after.push_back(to_doubles(p));
  const train::OptimizerState& state = t.optimizer->state();
  for (size_t s : slot) {
    r.first_moment.push_back(to_doubles(state.first_moment.at(s)));
    if (!state.second_moment.empty()) r.second_moment.push_back(to_doubles(state.second_moment.at(s)));
  }
  r.state_after = values(train::training_state(*t.model));
  r.ema_after = values(t.ema->state());
  return r;
}

// What a formula computed in double and rounded to float once gives: within 1.5 ulp of the double value.
::testing::AssertionResult rounded_from(const std::vector<double>& got, const std::vector<double>& exact) {
  return all_close(got, exact, 1e-30, 2.5e-7);
}

void check_training_step(train::OptimizerKind kind, Device device) {
  const double tol = device == Device::CPU ? 0.0 : kStepTol, loss_tol = device == Device::CPU ? 0.0 : kLossTol;
  Trainee cpu = make_trainee(kind, Device::CPU), dev = make_trainee(kind, device);
  ASSERT_EQ(dev.params[0].device(), device);
  Rng rng(8);
  const Tensor images = rand_uniform({2, 1, 128, 96}, 0.0, 1.0, rng);  // not square: H and W strides differ
  std::vector<yolo::Target> targets;
  for (int i = 0; i < 10; ++i) {
    const double w = rng.uniform(0.05, 0.35), h = rng.uniform(0.05, 0.35);
    targets.push_back({i % 2, i % 2, rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h});
  }
  const StepRecord a = one_step(cpu, images, targets, Device::CPU), b = one_step(dev, images, targets, device);

  EXPECT_GT(a.loss.positives, 0);
  EXPECT_EQ(b.loss.positives, a.loss.positives);
  for (auto [got, ref, what] : {std::tuple{b.loss.total.item(), a.loss.total.item(), "total"},
                                std::tuple{b.loss.lbox, a.loss.lbox, "box"}, std::tuple{b.loss.lobj, a.loss.lobj, "obj"},
                                std::tuple{b.loss.lcls, a.loss.lcls, "cls"}})
    EXPECT_NEAR(got, ref, loss_tol * std::fabs(ref)) << "loss " << what;
  EXPECT_GT(a.norm, 1.0) << "the step must exercise clipping's rescale";
  EXPECT_NEAR(b.norm, a.norm, loss_tol * a.norm) << "gradient norm before clipping";

  // Gradients and the optimizer's buffers (continuous in the gradient: SGD's momentum, Adam's m and v) against
  // the CPU's. SGD's parameter change is continuous too; AdamW's first step is lr * g / |g| per element, which
  // flips with the sign of gradients that are ~0, so it is checked against its formula on this device's own
  // m and v instead (c1 = 1 - b1, c2 = 1 - b2 at step 1; b1 = the group's momentum 0.937, b2 = 0.999).
  const NamedTensorRefs names = cpu.model->named_parameters();
  ASSERT_EQ(b.grads.size(), a.grads.size());
  for (size_t i = 0; i < a.grads.size(); ++i) {
    ASSERT_FALSE(b.grads[i].empty()) << names[i].first << " got no gradient";
    EXPECT_TRUE(close_at_scale(b.grads[i], a.grads[i], tol)) << "clipped gradient of " << names[i].first;
    EXPECT_TRUE(close_at_scale(b.first_moment[i], a.first_moment[i], tol)) << "first moment of " << names[i].first;
    if (kind == train::OptimizerKind::SGD) {
      EXPECT_TRUE(close_at_scale(minus(b.param_after[i], b.param_before[i]), minus(a.param_after[i], a.param_before[i]), tol))
          << "change of " << names[i].first;
      continue;
    }
    EXPECT_TRUE(close_at_scale(b.second_moment[i], a.second_moment[i], tol)) << "second moment of " << names[i].first;
    const double lr = b.lr[i], c1 = 1 - 0.937, c2 = 1 - 0.999;
    std::vector<double> formula(b.param_before[i].size());
    for (size_t k = 0; k < formula.size(); ++k)
      formula[k] = b.param_before[i][k] * (1 - lr * b.weight_decay[i]) -
                   lr * (b.first_moment[i][k] / c1) / (std::sqrt(b.second_moment[i][k] / c2) + 1e-8);
    EXPECT_TRUE(rounded_from(b.param_after[i], formula)) << "AdamW update of " << names[i].first;
  }
  // BN's running statistics against the CPU's (the forward's tolerance); the EMA against its formula on this
  // device's own states before and after the step (its change inherits AdamW's sign flips).
  const NamedTensors state = train::training_state(*cpu.model);
  ASSERT_EQ(b.state_after.size(), a.state_after.size());
  EXPECT_NEAR(b.ema_decay, 0.9999 * (1 - std::exp(-1.0)), 1e-12);
  for (size_t i = 0; i < a.state_after.size(); ++i) {
    if (state[i].first.find("running_") != std::string::npos) {
      EXPECT_TRUE(close_at_scale(b.state_after[i], a.state_after[i], device == Device::CPU ? 0.0 : 1e-3)) << state[i].first;
    }
    std::vector<double> formula(b.state_after[i].size());
    for (size_t k = 0; k < formula.size(); ++k)
      formula[k] = b.ema_decay * b.state_before[i][k] + (1 - b.ema_decay) * b.state_after[i][k];
    EXPECT_TRUE(rounded_from(b.ema_after[i], formula)) << "EMA of " << state[i].first;
    EXPECT_FALSE(b.ema_after[i] == b.state_before[i] && b.state_after[i] != b.state_before[i])
        << "the EMA of " << state[i].first << " did not move";
  }
}

// Model placement itself: Module::to moved everything, the optimizer and the EMA followed.
TEST(CudaTrainStepHarness, TwinsOnTheCpuAgreeExactly) {
  check_training_step(train::OptimizerKind::SGD, Device::CPU);
  check_training_step(train::OptimizerKind::AdamW, Device::CPU);
}

TEST(CudaTrainStep, SgdStepMatchesCpu) {
  YP_REQUIRE_CUDA();
  check_training_step(train::OptimizerKind::SGD, Device::CUDA);
}

TEST(CudaTrainStep, AdamWStepMatchesCpu) {
  YP_REQUIRE_CUDA();
  check_training_step(train::OptimizerKind::AdamW, Device::CUDA);
}

// ---- 2. the loop -------------------------------------------------------------------------------------

constexpr double kRunTol = 5e-2;

// n gray 64 x 64 pictures with one bright 12-20 px square each on a noisy background, and its label.
std::vector<train::Sample> squares(const fs::path& dir, int n) {
  fs::create_directories(dir);
  Rng rng(5);
  std::vector<train::Sample> out;
  for (int i = 0; i < n; ++i) {
    imgproc::Image im(64, 64);
    for (float& v : im.data) v = (float)std::clamp(0.2 + 0.05 * rng.normal(), 0.0, 1.0);
    const int w = 12 + (int)rng.randint(0, 9), x0 = (int)rng.randint(0, 64 - w), y0 = (int)rng.randint(0, 64 - w);
    for (int y = y0; y < y0 + w; ++y)
      for (int x = x0; x < x0 + w; ++x) im.at(x, y) = 0.85f;
    train::Sample s;
    s.image_path = (dir / ("sq" + std::to_string(i) + ".png")).string();
    s.labels.push_back({0, (x0 + w / 2.0) / 64, (y0 + w / 2.0) / 64, w / 64.0, w / 64.0});
    imgproc::write_png(s.image_path, im);
    out.push_back(s);
  }
  return out;
}

// 2 epochs of 3 batches of 4, an optimizer step per batch; `stop_after` >= 0 stops there with a checkpoint.
train::TrainSummary run(const std::vector<train::Sample>& samples, const fs::path& out, Device device, bool resume,
                        int64_t stop_after) {
  train::LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 64, 1};
  lc.batch_size = 4;
  lc.seed = 3;
  lc.workers = 1;
  lc.augment_config.mosaic = 0;
  train::LoaderConfig vc = lc;
  vc.augment = vc.shuffle = false;
  train::DataLoader train_data(samples, lc), val_data(samples, vc);
  auto model = tiny_yolo(kTinyYoloYaml, 1, 1, 0);
  train::TrainConfig cfg;
  cfg.out_dir = out.string();
  cfg.device = device;
  cfg.epochs = 2;
  cfg.seed = 1;
  cfg.schedule.lr0 = 0.02;
  cfg.schedule.warmup_epochs = 1;
  cfg.schedule.min_warmup_iterations = 4;
  cfg.schedule.nominal_batch = 4;
  cfg.verbose = cfg.plots = false;
  cfg.names = {"square"};
  cfg.resume = resume;
  cfg.stop_after_iterations = stop_after;
  cfg.save_on_stop = stop_after >= 0;
  return train::train(*model, train_data, val_data, cfg);
}

// The change of every saved tensor (weights and BN statistics, EMA, optimizer buffers) from the untrained
// network, in checkpoint order.
std::vector<std::pair<std::string, std::vector<double>>> saved_changes(const fs::path& run) {
  auto initial = tiny_yolo(kTinyYoloYaml, 1, 1, 0);
  NamedTensors start;
  for (const auto& [n, t] : initial->state_dict()) start.emplace_back(n, *t);
  const train::Checkpoint c = train::load_checkpoint((run / "last.ckpt").string());
  std::vector<std::pair<std::string, std::vector<double>>> out;
  for (const auto& [name, t] : c.tensors) {
    std::vector<double> v = to_doubles(t);
    for (const char* prefix : {"state/", "ema/"})
      if (name.rfind(prefix, 0) == 0)
        for (const auto& [n, s] : start)
          if (name == prefix + n) v = minus(v, to_doubles(s));
    out.emplace_back(name, v);
  }
  return out;
}

void expect_same_run(const fs::path& got, const fs::path& ref, double tol, const std::string& what) {
  const auto a = saved_changes(got), b = saved_changes(ref);
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].first, b[i].first) << what;
    EXPECT_TRUE(close_at_scale(a[i].second, b[i].second, tol)) << what << ": " << a[i].first;
  }
  // The model files (EMA weights) load as detectors with the same tensors.
  const yolo::LoadedModel m = yolo::load_model((got / "last.safetensors").string());
  const yolo::LoadedModel r = yolo::load_model((ref / "last.safetensors").string());
  const NamedTensorRefs sm = m.model->state_dict(), sr = r.model->state_dict();
  ASSERT_EQ(sm.size(), sr.size()) << what;
  for (size_t i = 0; i < sm.size(); ++i) {
    // BN's batch counter is not in last.ckpt (train/params.h training_state), so it restarts on resume.
    if (sm[i].first.find("num_batches_tracked") != std::string::npos) continue;
    EXPECT_TRUE(close_at_scale(to_doubles(*sm[i].second), to_doubles(*sr[i].second), tol == 0 ? 0 : 1e-3))
        << what << ": model file tensor " << sm[i].first;
  }
}

void check_training_runs(Device device) {
  const double tol = device == Device::CPU ? 0.0 : kRunTol;
  const fs::path dir = fs::temp_directory_path() / ("yp_train_cuda_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto samples = squares(dir / "images", 12);
  const train::TrainSummary cpu = run(samples, dir / "cpu", Device::CPU, false, -1);
  const train::TrainSummary dev = run(samples, dir / "dev", device, false, -1);
  ASSERT_EQ(cpu.stop_reason, "completed");
  ASSERT_EQ(dev.stop_reason, "completed");
  ASSERT_EQ(dev.history.size(), 2u);
  for (size_t e = 0; e < 2; ++e)
    for (auto [got, ref] : {std::pair{dev.history[e].train_box, cpu.history[e].train_box},
                            std::pair{dev.history[e].train_obj, cpu.history[e].train_obj},
                            std::pair{dev.history[e].val_obj, cpu.history[e].val_obj}})
      EXPECT_NEAR(got, ref, (device == Device::CPU ? 0.0 : kRunTol) * std::fabs(ref)) << "epoch " << e << " losses";
  expect_same_run(dir / "dev", dir / "cpu", tol, "the whole run");

  // Stopped after 4 of 6 iterations (mid epoch 1) with a checkpoint, resumed on the other device.
  struct Handover {
    Device first, second;
    const char* folder;
  };
  for (const Handover& h : {Handover{device, Device::CPU, "dev_then_cpu"}, Handover{Device::CPU, device, "cpu_then_dev"}}) {
    EXPECT_EQ(run(samples, dir / h.folder, h.first, false, 4).stop_reason, "stopped") << h.folder;
    const train::TrainSummary resumed = run(samples, dir / h.folder, h.second, true, -1);
    EXPECT_EQ(resumed.stop_reason, "completed") << h.folder;
    EXPECT_EQ(resumed.iterations, 2) << h.folder;
    expect_same_run(dir / h.folder, dir / "cpu", tol, std::string("stopped on ") + device_name(h.first) +
                                                          ", resumed on " + device_name(h.second));
  }
  fs::remove_all(dir);
}

TEST(CudaTrainerHarness, RunsOnTheCpuAgreeExactly) { check_training_runs(Device::CPU); }

TEST(CudaTrainer, RunMatchesCpuAndResumesAcrossDevices) {
  YP_REQUIRE_CUDA();
  check_training_runs(Device::CUDA);
}

}  // namespace
}  // namespace yp::test
