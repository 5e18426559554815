// batchnorm2d: naive per-channel loops for training (batch statistics, running-stat update with
// momentum and the unbiased variance) and eval; finite-difference gradients in both modes; and
// BN folding: conv2d with the folded weights equals conv2d followed by eval-mode BN.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/ops/batchnorm2d.h"
#include "tensor/ops/conv2d.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

struct ChannelStats {
  std::vector<double> mean, var;  // biased variance
};

ChannelStats naive_stats(const Tensor& x) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  ChannelStats st{std::vector<double>((size_t)C, 0.0), std::vector<double>((size_t)C, 0.0)};
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) st.mean[(size_t)c] += x.at((n * C + c) * HW + i);
    st.mean[(size_t)c] /= double(N * HW);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < HW; ++i) {
        const double d = x.at((n * C + c) * HW + i) - st.mean[(size_t)c];
        st.var[(size_t)c] += d * d;
      }
    st.var[(size_t)c] /= double(N * HW);
  }
  return st;
}

std::vector<double> naive_normalize(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const std::vector<double>& mean, const std::vector<double>& var, double eps) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.size(2) * x.size(3);
  std::vector<double> y((size_t)x.numel());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < HW; ++i) {
        const int64_t j = (n * C + c) * HW + i;
        y[(size_t)j] = gamma.at(c) * (x.at(j) - mean[(size_t)c]) / std::sqrt(var[(size_t)c] + eps) + beta.at(c);
      }
  return y;
}

Tensor positive(const Shape& s, Rng& rng, DType dt = DType::F32) { return rand_uniform(s, 0.5, 2.0, rng, dt); }

}  // namespace

TEST(BatchNorm2d, TrainingUsesBatchStatsAndUpdatesRunningStats) {
  Rng rng(1);
  const Tensor x = randn({3, 5, 7, 6}, rng);
  const Tensor gamma = randn({5}, rng), beta = randn({5}, rng);
  Tensor rm = randn({5}, rng), rv = positive({5}, rng);
  const std::vector<double> rm0 = to_doubles(rm), rv0 = to_doubles(rv);
  const BatchNormParams prm{true, 0.03, 1e-3};
  const Tensor y = batchnorm2d(x, gamma, beta, rm, rv, prm);

  const ChannelStats st = naive_stats(x);
  EXPECT_TRUE(all_close(to_doubles(y), naive_normalize(x, gamma, beta, st.mean, st.var, 1e-3), 1e-5, 1e-5));
  const double M = 3 * 7 * 6;
  std::vector<double> rm_expected(5), rv_expected(5);
  for (size_t c = 0; c < 5; ++c) {
    rm_expected[c] = 0.97 * rm0[c] + 0.03 * st.mean[c];
    rv_expected[c] = 0.97 * rv0[c] + 0.03 * st.var[c] * M / (M - 1);
  }
  EXPECT_TRUE(all_close(to_doubles(rm), rm_expected, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(to_doubles(rv), rv_expected, 1e-6, 1e-6));
}

TEST(BatchNorm2d, EvalUsesRunningStatsAndLeavesThemAlone) {
  Rng rng(2);
  const Tensor x = randn({2, 4, 5, 3}, rng);
  const Tensor gamma = randn({4}, rng), beta = randn({4}, rng);
  Tensor rm = randn({4}, rng), rv = positive({4}, rng);
  const std::vector<double> rm0 = to_doubles(rm), rv0 = to_doubles(rv);
  const Tensor y = batchnorm2d(x, gamma, beta, rm, rv, {false, 0.03, 1e-3});
  EXPECT_TRUE(all_close(to_doubles(y), naive_normalize(x, gamma, beta, rm0, rv0, 1e-3), 1e-5, 1e-5));
  EXPECT_EQ(to_doubles(rm), rm0);
  EXPECT_EQ(to_doubles(rv), rv0);
}

// A channel whose mean is 1e4 times its spread: E[x^2] - E[x]^2 in float would lose every digit.
TEST(BatchNorm2d, VarianceIsStableForLargeMeans) {
  Rng rng(3);
  Tensor x = randn({2, 2, 16, 16}, rng);
  float* p = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = 1e4f + p[i];
  Tensor rm = Tensor::zeros({2}), rv = Tensor::full({2}, 1.0);
  const Tensor y = batchnorm2d(x, Tensor::full({2}, 1.0), Tensor::zeros({2}), rm, rv, {true, 0.03, 1e-3});
  const ChannelStats st = naive_stats(x);
  EXPECT_TRUE(all_close(to_doubles(y), naive_normalize(x, Tensor::full({2}, 1.0), Tensor::zeros({2}), st.mean,
                                                       st.var, 1e-3),
                        1e-3, 1e-3));
}

TEST(BatchNorm2d, GradientsTraining) {
  Rng rng(4);
  Tensor x = rand_param({2, 3, 4, 5}, rng), gamma = rand_param({3}, rng), beta = rand_param({3}, rng);
  const Tensor rm = randn({3}, rng, DType::F64), rv = positive({3}, rng, DType::F64);
  // Every evaluation updates the running buffers, so each works on its own copies.
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) {
        Tensor m = rm.clone(), s = rv.clone();
        return batchnorm2d(v[0], v[1], v[2], m, s, {true, 0.03, 1e-3});
      },
      {x, gamma, beta}));
}

TEST(BatchNorm2d, GradientsEval) {
  Rng rng(5);
  Tensor x = rand_param({2, 3, 4, 5}, rng), gamma = rand_param({3}, rng), beta = rand_param({3}, rng);
  Tensor rm = randn({3}, rng, DType::F64), rv = positive({3}, rng, DType::F64);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) { return batchnorm2d(v[0], v[1], v[2], rm, rv, {false, 0.03, 1e-3}); },
      {x, gamma, beta}));
}

TEST(BatchNorm2d, OneByOneSpatialAndBatch1) {
  Rng rng(6);
  // Training on 1x1 maps: statistics run over the batch alone (M = 3).
  Tensor x = rand_param({3, 4, 1, 1}, rng), gamma = rand_param({4}, rng), beta = rand_param({4}, rng);
  const Tensor rm = Tensor::zeros({4}, DType::F64), rv = Tensor::full({4}, 1.0, DType::F64);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) {
        Tensor m = rm.clone(), s = rv.clone();
        return batchnorm2d(v[0], v[1], v[2], m, s, {true, 0.03, 1e-3});
      },
      {x, gamma, beta}));
  // Batch 1 trains on the spatial values.
  Tensor x1 = rand_param({1, 2, 3, 5}, rng), g1 = rand_param({2}, rng), b1 = rand_param({2}, rng);
  const Tensor rm1 = Tensor::zeros({2}, DType::F64), rv1 = Tensor::full({2}, 1.0, DType::F64);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) {
        Tensor m = rm1.clone(), s = rv1.clone();
        return batchnorm2d(v[0], v[1], v[2], m, s, {true, 0.03, 1e-3});
      },
      {x1, g1, b1}));
  // One value per channel has no variance to train on (PyTorch refuses too); eval is fine.
  Tensor m = Tensor::zeros({2}), s = Tensor::full({2}, 1.0);
  const Tensor single = randn({1, 2, 1, 1}, rng);
  EXPECT_THROW(batchnorm2d(single, Tensor::full({2}, 1.0), Tensor::zeros({2}), m, s, {true, 0.03, 1e-3}), Error);
  EXPECT_NO_THROW(batchnorm2d(single, Tensor::full({2}, 1.0), Tensor::zeros({2}), m, s, {false, 0.03, 1e-3}));
}

TEST(BatchNorm2d, FoldedConvEqualsConvThenEvalBn) {
  Rng rng(7);
  const Tensor x = randn({2, 16, 9, 11}, rng);
  const Tensor w = randn({24, 16, 3, 3}, rng);
  const Tensor gamma = randn({24}, rng), beta = randn({24}, rng), rm = randn({24}, rng);
  Tensor rv = positive({24}, rng), rm_buf = rm.clone();
  for (const Tensor& conv_bias : {Tensor(), randn({24}, rng)}) {
    const Tensor reference =
        batchnorm2d(conv2d(x, w, conv_bias, {1, 1}), gamma, beta, rm_buf, rv, {false, 0.03, 1e-3});
    const FoldedConv f = fold_batchnorm(w, conv_bias, gamma, beta, rm, rv, 1e-3);
    EXPECT_TRUE(all_close(conv2d(x, f.weight, f.bias, {1, 1}), reference, 1e-4, 1e-4))
        << (conv_bias.defined() ? "with" : "without") << " conv bias";
  }
}

TEST(BatchNorm2d, BadShapesAreClearErrors) {
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0);
  const Tensor x = Tensor::zeros({2, 4, 3, 3});
  try {
    batchnorm2d(x, Tensor::full({3}, 1.0), Tensor::zeros({3}), rm, rv, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gamma must be (4,)"), std::string::npos) << e.what();
  }
  Tensor rm64 = Tensor::zeros({4}, DType::F64), rv4 = Tensor::full({4}, 1.0);
  EXPECT_THROW(batchnorm2d(x, Tensor::full({4}, 1.0), Tensor::zeros({4}), rm64, rv4, {}), Error);
  EXPECT_THROW(fold_batchnorm(Tensor::zeros({4, 2, 1, 1}), Tensor(), Tensor::zeros({3}), Tensor::zeros({4}),
                              Tensor::zeros({4}), Tensor::zeros({4}), 1e-3),
               Error);
}
