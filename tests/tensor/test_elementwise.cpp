// Gradient checks and naive-loop checks for the pointwise ops.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/ops/elementwise.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

TEST(Elementwise, GradientsMatchFiniteDifferences) {
  Rng rng(1);
  const Shape s{2, 3, 4, 5};
  Tensor a = rand_param(s, rng), b = rand_param(s, rng);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return add(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return sub(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return mul(v[0], v[1]); }, {a, b}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return scale(v[0], -2.5); }, {a}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return silu(v[0]); }, {a}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return sigmoid(v[0]); }, {a}));
  // A tensor used twice gets both contributions: d(a*a)/da = 2a.
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return mul(silu(v[0]), v[0]); }, {a}));
}

TEST(Elementwise, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(2);
  const Tensor x = randn({3, 7, 5, 2}, rng);
  const Tensor y = randn({3, 7, 5, 2}, rng);
  const Tensor s = silu(x), g = sigmoid(x), m = mul(x, y);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double xv = x.at(i), sig = 1.0 / (1.0 + std::exp(-xv));
    EXPECT_NEAR(s.at(i), xv * sig, 1e-6);
    EXPECT_NEAR(g.at(i), sig, 1e-6);
    EXPECT_NEAR(m.at(i), xv * y.at(i), 1e-6);
  }
}

TEST(Elementwise, ShapeMismatchIsAClearError) {
  const Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 2});
  try {
    add(a, b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("add: shapes differ: (2, 3) vs (3, 2)"), std::string::npos) << e.what();
  }
}

TEST(Elementwise, Float32SiluAndSigmoidMatchTheFormulaAcrossChunks) {
  // 10007 elements: several 4096-element chunks of the vectorised float path and a ragged tail.
  Rng rng(9);
  Tensor x = scale(randn({10007}, rng), 6.0);
  x.set_requires_grad(true);
  const Tensor g = randn({10007}, rng);
  const Tensor y = silu(x), s = sigmoid(x.detach());
  y.backward(g);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.at(i), sig = 1.0 / (1.0 + std::exp(-v));
    ASSERT_NEAR(y.at(i), v * sig, 1e-5 * (1 + std::fabs(v))) << i;
    ASSERT_NEAR(s.at(i), sig, 1e-6) << i;
    ASSERT_NEAR(x.grad().at(i), g.at(i) * sig * (1 + v * (1 - sig)), 1e-5 * (1 + std::fabs(g.at(i)))) << i;
  }
}
