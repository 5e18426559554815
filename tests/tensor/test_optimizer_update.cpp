// The per-element updates of a training step (tensor/ops/optimizer_update.h) against their formulas written
// out by hand in double, and their argument checks. (Through the optimizer: tests/train/test_optimizer.cpp;
// the CUDA kernels against these loops: tests/cuda/test_training_ops_cuda.cpp.)
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/ops/optimizer_update.h"

using namespace yp;

namespace {
Tensor vec(std::vector<float> v) { return Tensor::from_vector(v, {(int64_t)v.size()}); }
}  // namespace

TEST(OptimizerUpdate, SgdNesterov) {
  Tensor p = vec({1.0f, -2.0f}), buf = vec({0.5f, 0.0f});
  sgd_nesterov_update(p, vec({0.25f, 1.0f}), buf, 0.1, 0.9, 0.01);
  const double g0 = 0.25 + 0.01 * 1.0, b0 = 0.9 * 0.5 + g0, g1 = 1.0 + 0.01 * -2.0, b1 = g1;
  EXPECT_FLOAT_EQ(buf.at(0), (float)b0);
  EXPECT_FLOAT_EQ(buf.at(1), (float)b1);
  EXPECT_FLOAT_EQ(p.at(0), (float)(1.0 - 0.1 * (g0 + 0.9 * b0)));
  EXPECT_FLOAT_EQ(p.at(1), (float)(-2.0 - 0.1 * (g1 + 0.9 * b1)));
}

TEST(OptimizerUpdate, AdamW) {
  Tensor p = vec({0.5f}), m = vec({0.1f}), v = vec({0.2f});
  const double c1 = 1 - std::pow(0.9, 2), c2 = 1 - std::pow(0.999, 2);
  adamw_update(p, vec({2.0f}), m, v, 0.01, 0.9, 0.999, 0.1, 1e-8, c1, c2);
  const double mk = 0.9 * 0.1 + 0.1 * 2.0, vk = 0.999 * 0.2 + 0.001 * 4.0;
  EXPECT_FLOAT_EQ(m.at(0), (float)mk);
  EXPECT_FLOAT_EQ(v.at(0), (float)vk);
  EXPECT_FLOAT_EQ(p.at(0), (float)(0.5 * (1 - 0.01 * 0.1) - 0.01 * (mk / c1) / (std::sqrt(vk / c2) + 1e-8)));
}

TEST(OptimizerUpdate, EmaAndScale) {
  Tensor e = vec({1.0f, 2.0f});
  ema_update(e, vec({3.0f, -2.0f}), 0.75);
  EXPECT_FLOAT_EQ(e.at(0), 1.5f);
  EXPECT_FLOAT_EQ(e.at(1), 1.0f);
  scale_update(e, -2.0);
  EXPECT_FLOAT_EQ(e.at(0), -3.0f);
  EXPECT_FLOAT_EQ(e.at(1), -2.0f);
}

TEST(OptimizerUpdate, RejectsMismatchedArguments) {
  Tensor p = vec({1.0f, 2.0f}), short_buf = vec({0.0f});
  EXPECT_THROW(sgd_nesterov_update(p, vec({1.0f, 1.0f}), short_buf, 0.1, 0.9, 0.0), Error);
  Tensor d = Tensor::zeros({2}, DType::F64);
  EXPECT_THROW(scale_update(d, 2.0), Error);
  EXPECT_THROW(ema_update(p, Tensor(), 0.5), Error);
}
