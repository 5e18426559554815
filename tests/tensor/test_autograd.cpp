// The backward engine: accumulation, no_grad, leaves vs intermediates, determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/autograd.h"
#include "tensor/ops/elementwise.h"
#include "tensor/random.h"

using namespace yp;

TEST(Autograd, GradientsAccumulateAcrossBackwardCallsUntilZeroed) {
  Tensor a = Tensor::from_vector(std::vector<double>{1.0, 2.0}, {2});
  a.set_requires_grad(true);
  Tensor b = Tensor::from_vector(std::vector<double>{3.0, -1.0}, {2});
  const Tensor seed = Tensor::full({2}, 1.0, DType::F64);
  mul(a, b).backward(seed);
  mul(a, b).backward(seed);
  EXPECT_DOUBLE_EQ(a.grad().at(0), 6.0);
  EXPECT_DOUBLE_EQ(a.grad().at(1), -2.0);
  EXPECT_FALSE(b.grad().defined()) << "b does not require grad";
  a.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor a = Tensor::full({3}, 2.0).set_requires_grad(true);
  NoGradGuard guard;
  const Tensor y = silu(a);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST(Autograd, DiamondGraphVisitsEachNodeOnce) {
  // y = s*s with s = sigmoid(a): dy/da = 2 s s'(a); sigmoid's node must run once with the summed gradient.
  Tensor a = Tensor::from_vector(std::vector<double>{0.3}, {1});
  a.set_requires_grad(true);
  const Tensor s = sigmoid(a);
  mul(s, s).backward();
  const double sv = 1.0 / (1.0 + std::exp(-0.3));
  EXPECT_NEAR(a.grad().item(), 2 * sv * sv * (1 - sv), 1e-15);
}

TEST(Autograd, BackwardOnNonScalarNeedsASeed) {
  Tensor a = Tensor::full({2}, 1.0).set_requires_grad(true);
  EXPECT_THROW(silu(a).backward(), Error);
}

TEST(Autograd, SameSeedGivesBitIdenticalTensors) {
  Rng r1(42), r2(42), r3(43);
  const auto a = randn({1000}, r1).to_vector(), b = randn({1000}, r2).to_vector(), c = randn({1000}, r3).to_vector();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}
