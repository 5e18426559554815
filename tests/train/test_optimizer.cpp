// Optimizer, EMA and schedule against the formulas written out by hand (PyTorch / YOLOv5 v7.0).
#include <gtest/gtest.h>

#include <cmath>

#include "train/ema.h"
#include "train/optimizer.h"
#include "train/schedule.h"

using namespace yp;
using namespace yp::train;

namespace {
Tensor param(std::vector<float> v) {
  Tensor t = Tensor::from_vector(v, {(int64_t)v.size()});
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST(Optimizer, SgdNesterovWithDecayMatchesPyTorchFormula) {
  Tensor w = param({1.0f, -2.0f});
  ParamGroup g{"weight", {w}, 0.1, 0.9, 0.01, 0.1};
  Optimizer opt(OptimizerKind::SGD, {g});
  // Step 1: d = grad + wd*w; buf = d; w -= lr (d + mu buf)
  w.set_grad(Tensor::from_vector(std::vector<float>{0.5f, 0.25f}, {2}));
  opt.step();
  const double d0 = 0.5 + 0.01 * 1.0, buf0 = d0, w0 = 1.0 - 0.1 * (d0 + 0.9 * buf0);
  EXPECT_NEAR(w.at(0), w0, 1e-6);
  // Step 2: buf = mu buf + d
  w.set_grad(Tensor::from_vector(std::vector<float>{-1.0f, 0.0f}, {2}));
  opt.step();
  const double d1 = -1.0 + 0.01 * w0, buf1 = 0.9 * buf0 + d1, w1 = w0 - 0.1 * (d1 + 0.9 * buf1);
  EXPECT_NEAR(w.at(0), w1, 1e-6);
}

TEST(Optimizer, AdamWMatchesFormulaAndSkipsParamsWithoutGrad) {
  Tensor w = param({0.5f}), untouched = param({3.0f});
  Optimizer opt(OptimizerKind::AdamW, {ParamGroup{"weight", {w, untouched}, 0.01, 0.9, 0.1, 0.01}});
  w.set_grad(Tensor::from_vector(std::vector<float>{2.0f}, {1}));
  opt.step();
  const double wd = 0.5 * (1 - 0.01 * 0.1), m = 0.1 * 2.0, v = 0.001 * 4.0;
  const double expected = wd - 0.01 * (m / 0.1) / (std::sqrt(v / 0.001) + 1e-8);
  EXPECT_NEAR(w.at(0), expected, 1e-6);
  EXPECT_EQ(untouched.at(0), 3.0);
}

TEST(Optimizer, ClipGradNormScalesToMaxNorm) {
  Tensor a = param({0, 0}), b = param({0});
  a.set_grad(Tensor::from_vector(std::vector<float>{3.0f, 0.0f}, {2}));
  b.set_grad(Tensor::from_vector(std::vector<float>{4.0f}, {1}));
  EXPECT_NEAR(clip_grad_norm({a, b}, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(a.grad().at(0), 0.6, 1e-6);
  EXPECT_NEAR(b.grad().at(0), 0.8, 1e-6);
  EXPECT_NEAR(clip_grad_norm({a, b}, 10.0), 1.0, 1e-5);  // below the limit: unchanged
  EXPECT_NEAR(b.grad().at(0), 0.8, 1e-6);
}

TEST(ModelEMA, DecayRampsAndAverages) {
  Tensor w = Tensor::from_vector(std::vector<float>{0.0f}, {1});
  ModelEMA ema({{"w", w}});
  const double d1 = 0.9999 * (1 - std::exp(-1.0 / 2000));
  EXPECT_NEAR(ema.current_decay(), d1, 1e-15);
  w.fill_(1.0);
  ema.update({{"w", w}});
  EXPECT_NEAR(ema.state()[0].second.at(0), 1 - d1, 1e-7);
  EXPECT_EQ(ema.updates(), 1);
  EXPECT_THROW(ema.update({{"other", w}}), Error);
}

TEST(Schedule, LinearAndCosineLambdas) {
  ScheduleConfig c;
  c.epochs = 10;
  c.lrf = 0.01;
  EXPECT_DOUBLE_EQ(lr_lambda(c, 0), 1.0);
  EXPECT_NEAR(lr_lambda(c, 5), 0.5 * 0.99 + 0.01, 1e-12);
  EXPECT_NEAR(lr_lambda(c, 10), 0.01, 1e-12);
  c.cosine = true;
  EXPECT_NEAR(lr_lambda(c, 0), 1.0, 1e-12);
  EXPECT_NEAR(lr_lambda(c, 5), 0.505, 1e-12);
  EXPECT_NEAR(lr_lambda(c, 10), 0.01, 1e-12);
}

TEST(Schedule, WarmupInterpolatesLrMomentumAndAccumulation) {
  ScheduleConfig c;
  c.epochs = 100;
  c.batch_size = 4;  // accumulate = 16, weight decay scaled by 4*16/64 = 1
  EXPECT_EQ(accumulate_steps(c), 16);
  EXPECT_DOUBLE_EQ(scaled_weight_decay(c, 5e-4), 5e-4);
  EXPECT_EQ(warmup_iterations(c, 4), 100);  // max(3*4, 100)
  Tensor b = param({0}), w = param({0});
  Optimizer opt(OptimizerKind::SGD, {ParamGroup{"bias", {b}}, ParamGroup{"weight", {w}}});
  int acc = apply_schedule(c, opt, 0, 0, 4);
  EXPECT_DOUBLE_EQ(opt.groups()[0].lr, 0.1);
  EXPECT_DOUBLE_EQ(opt.groups()[1].lr, 0.0);
  EXPECT_DOUBLE_EQ(opt.groups()[1].momentum, 0.8);
  EXPECT_EQ(acc, 1);
  acc = apply_schedule(c, opt, 0, 50, 4);
  EXPECT_NEAR(opt.groups()[0].lr, 0.1 + (0.01 - 0.1) * 0.5, 1e-12);
  EXPECT_NEAR(opt.groups()[1].lr, 0.005, 1e-12);
  EXPECT_NEAR(opt.groups()[1].momentum, 0.8685, 1e-12);
  EXPECT_EQ(acc, 8);  // numpy: round(1 + 15 * 0.5) = round(8.5) = 8, half to even
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  EarlyStopping es(3);
  EXPECT_FALSE(es.should_stop(0, 0.5));
  EXPECT_FALSE(es.should_stop(1, 0.4));
  EXPECT_FALSE(es.should_stop(2, 0.5));  // equal counts as improvement (>=)
  EXPECT_FALSE(es.should_stop(4, 0.1));
  EXPECT_TRUE(es.should_stop(5, 0.1));
  EXPECT_EQ(es.best_epoch(), 2);
}
