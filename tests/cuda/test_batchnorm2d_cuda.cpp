// test_batchnorm2d_cuda.cpp: batchnorm2d training/eval forward, running-statistic update and
// backward against double loops of the formulas in cuda_kernels/batchnorm2d.h.
#include <cmath>

#include "cuda_kernels/batchnorm2d.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

struct BnShape {
  int n, c;
  int64_t hw;
};

constexpr float kMomentum = 0.03f, kEps = 1e-3f;

// One shape with a single block-loop pass, one with many, one tiny; then the edges: a 1x1 plane
// (the deepest level of a small input), the smallest batch BN accepts (M = 2), and more channels
// than one block of the per-channel kernels' launch covers.
std::vector<BnShape> bn_shapes() { return {{2, 5, 7 * 9}, {4, 3, 64 * 64}, {1, 2, 3}, {3, 4, 1}, {1, 1, 2}, {2, 300, 5}}; }

TEST(CudaBatchNorm2d, TrainForwardStatsAndBackward) {
  YP_REQUIRE_CUDA();
  unsigned seed = 1;
  for (const BnShape& sh : bn_shapes()) {
    const size_t total = (size_t)sh.n * sh.c * sh.hw, C = (size_t)sh.c;
    std::vector<float> x = random_floats(total, seed += 10, 2.f, 4.f);  // mean far from 0: tests the two-pass
    const auto gamma = random_floats(C, seed + 1, 0.5f, 1.5f), beta = random_floats(C, seed + 2),
               rm0 = random_floats(C, seed + 3), rv0 = random_floats(C, seed + 4, 0.5f, 2.f),
               dy = random_floats(total, seed + 5);
    // Reference in double.
    const double M = (double)sh.n * sh.hw;
    std::vector<double> mean(C), var(C), y_ref(total), dx_ref(total), dg_ref(C), db_ref(C), rm_ref(C), rv_ref(C);
    auto at = [&](int n, size_t c, int64_t j) { return ((size_t)n * C + c) * sh.hw + j; };
    for (size_t c = 0; c < C; ++c) {
      double s = 0, sq = 0;
      for (int n = 0; n < sh.n; ++n)
        for (int64_t j = 0; j < sh.hw; ++j) s += x[at(n, c, j)];
      mean[c] = s / M;
      for (int n = 0; n < sh.n; ++n)
        for (int64_t j = 0; j < sh.hw; ++j) sq += (x[at(n, c, j)] - mean[c]) * (x[at(n, c, j)] - mean[c]);
      var[c] = sq / M;
      const double invstd = 1 / std::sqrt(var[c] + kEps);
      rm_ref[c] = (1 - kMomentum) * rm0[c] + kMomentum * mean[c];
      rv_ref[c] = (1 - kMomentum) * rv0[c] + kMomentum * var[c] * M / (M - 1);
      double sdy = 0, sdyx = 0;
      for (int n = 0; n < sh.n; ++n)
        for (int64_t j = 0; j < sh.hw; ++j) {
          const size_t i = at(n, c, j);
          const double xhat = (x[i] - mean[c]) * invstd;
          y_ref[i] = gamma[c] * xhat + beta[c];
          sdy += dy[i];
          sdyx += dy[i] * xhat;
        }
      dg_ref[c] = sdyx;
      db_ref[c] = sdy;
      for (int n = 0; n < sh.n; ++n)
        for (int64_t j = 0; j < sh.hw; ++j) {
          const size_t i = at(n, c, j);
          const double xhat = (x[i] - mean[c]) * invstd;
          dx_ref[i] = gamma[c] * invstd * (dy[i] - sdy / M - xhat * sdyx / M);
        }
    }
    DeviceArray<float> x_d(x), g_d(gamma), b_d(beta), rm_d(rm0), rv_d(rv0), dy_d(dy), y_d(total), sm_d(C), si_d(C),
        dx_d(total), dg_d(C), db_d(C);
    y_d.poison();
    sm_d.poison();
    si_d.poison();
    cuda::batchnorm2d_forward_train(x_d.get(), g_d.get(), b_d.get(), y_d.get(), rm_d.get(), rv_d.get(), sm_d.get(),
                                    si_d.get(), sh.n, sh.c, sh.hw, kMomentum, kEps);
    EXPECT_TRUE(close_to_ref(y_d.download(), y_ref, kTolFP32)) << "y";
    EXPECT_TRUE(close_to_ref(sm_d.download(), mean, kTolFP32)) << "saved mean";
    EXPECT_TRUE(close_to_ref(rm_d.download(), rm_ref, kTolFP32)) << "running mean";
    EXPECT_TRUE(close_to_ref(rv_d.download(), rv_ref, kTolFP32)) << "running var";
    dx_d.poison();
    dg_d.poison();
    db_d.poison();
    cuda::batchnorm2d_backward(x_d.get(), dy_d.get(), g_d.get(), sm_d.get(), si_d.get(), dx_d.get(), dg_d.get(),
                               db_d.get(), sh.n, sh.c, sh.hw, /*training=*/true);
    EXPECT_TRUE(close_to_ref(dx_d.download(), dx_ref, kTolFP32)) << "dx";
    EXPECT_TRUE(close_to_ref(dg_d.download(), dg_ref, kTolFP32)) << "dgamma";
    EXPECT_TRUE(close_to_ref(db_d.download(), db_ref, kTolFP32)) << "dbeta";
  }
}

TEST(CudaBatchNorm2d, EvalForwardAndBackwardUseRunningStatistics) {
  YP_REQUIRE_CUDA();
  const int n = 2, c = 4;
  const int64_t hw = 5 * 6;
  const size_t total = (size_t)n * c * hw;
  const auto x = random_floats(total, 11), gamma = random_floats(c, 12), beta = random_floats(c, 13),
             rm = random_floats(c, 14), rv = random_floats(c, 15, 0.5f, 2.f), dy = random_floats(total, 16);
  std::vector<double> ref(total), dx_ref(total), dg_ref(c), db_ref(c);
  for (size_t i = 0; i < total; ++i) {
    const size_t ch = (i / hw) % c;
    const double invstd = 1 / std::sqrt((double)rv[ch] + kEps), xhat = (x[i] - rm[ch]) * invstd;
    ref[i] = gamma[ch] * xhat + beta[ch];
    dx_ref[i] = gamma[ch] * invstd * dy[i];
    dg_ref[ch] += dy[i] * xhat;
    db_ref[ch] += dy[i];
  }
  DeviceArray<float> x_d(x), g_d(gamma), b_d(beta), rm_d(rm), rv_d(rv), y_d(total), sm_d(c), si_d(c), dy_d(dy),
      dx_d(total), dg_d(c), db_d(c);
  y_d.poison();
  cuda::batchnorm2d_forward_eval(x_d.get(), g_d.get(), b_d.get(), rm_d.get(), rv_d.get(), y_d.get(), sm_d.get(),
                                 si_d.get(), n, c, hw, kEps);
  EXPECT_TRUE(close_to_ref(y_d.download(), ref, kTolFP32));
  dx_d.poison();
  cuda::batchnorm2d_backward(x_d.get(), dy_d.get(), g_d.get(), sm_d.get(), si_d.get(), dx_d.get(), dg_d.get(),
                             db_d.get(), n, c, hw, /*training=*/false);
  EXPECT_TRUE(close_to_ref(dx_d.download(), dx_ref, kTolFP32)) << "eval dx";
  EXPECT_TRUE(close_to_ref(dg_d.download(), dg_ref, kTolFP32)) << "eval dgamma";
  EXPECT_TRUE(close_to_ref(db_d.download(), db_ref, kTolFP32)) << "eval dbeta";
  EXPECT_EQ(rm_d.download(), rm);  // untouched
  EXPECT_EQ(rv_d.download(), rv);
}

}  // namespace
}  // namespace yp::test
