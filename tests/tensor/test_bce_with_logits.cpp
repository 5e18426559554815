// bce_with_logits: forward against the textbook -[p t log s(z) + (1-t) log(1-s(z))] where that is
// safe, stability at |z| = 100, finite-difference gradients for logits and (soft) targets with and
// without pos_weight, and clear errors.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/ops/bce_with_logits.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

double textbook_bce_mean(const Tensor& z, const Tensor& t, double p) {
  double total = 0;
  for (int64_t i = 0; i < z.numel(); ++i) {
    const double s = 1 / (1 + std::exp(-z.at(i)));
    total += -(p * t.at(i) * std::log(s) + (1 - t.at(i)) * std::log(1 - s));
  }
  return total / (double)z.numel();
}

}  // namespace

TEST(BceWithLogits, ForwardMatchesTextbookFormulaInFloat32) {
  Rng rng(1);
  for (const double p : {1.0, 2.5, 0.3}) {
    for (const Shape& shape : std::vector<Shape>{{2, 3, 5, 7}, {1}, {17, 1}, {5000}}) {
      const Tensor z = rand_uniform(shape, -6, 6, rng);
      const Tensor t = rand_uniform(shape, 0, 1, rng);  // soft targets, like YOLOv5's IoU objectness
      const Tensor loss = bce_with_logits(z, t, p);
      EXPECT_EQ(loss.shape(), Shape{});
      EXPECT_EQ(loss.dtype(), DType::F32);
      const double ref = textbook_bce_mean(z, t, p);
      EXPECT_NEAR(loss.item(), ref, 1e-6 * (1 + ref)) << shape_str(shape) << " pos_weight " << p;
    }
  }
}

TEST(BceWithLogits, ExtremeLogitsStayFinite) {
  // z = 100, t = 0: -log(1 - s(100)) = 100 + log(1 + e^-100); z = -100, t = 1: the same by symmetry;
  // z = 0: log 2 whatever t is.
  const Tensor z = Tensor::from_vector(std::vector<float>{100, -100, 0, 0}, {4});
  const Tensor t = Tensor::from_vector(std::vector<float>{0, 1, 0, 0.3f}, {4});
  EXPECT_NEAR(bce_with_logits(z, t).item(), (100 + 100 + 2 * std::log(2.0)) / 4, 1e-5);
  Tensor zg = z.clone();
  zg.set_requires_grad(true);
  bce_with_logits(zg, t).backward();
  // d/dz = (s(z) - t) / 4: (1 - 0)/4, (0 - 1)/4, (0.5 - 0)/4, (0.5 - 0.3)/4.
  EXPECT_TRUE(all_close(to_doubles(zg.grad()), {0.25, -0.25, 0.125, 0.05}, 1e-7, 1e-6));
}

TEST(BceWithLogits, GradientsMatchFiniteDifferences) {
  Rng rng(2);
  for (const double p : {1.0, 3.0}) {
    for (const Shape& shape : std::vector<Shape>{{2, 3, 4}, {1, 1}, {5}}) {
      Tensor z = rand_param(shape, rng);
      Tensor t = rand_uniform(shape, 0, 1, rng, DType::F64);
      t.set_requires_grad(true);
      EXPECT_TRUE(gradcheck([p](const std::vector<Tensor>& v) { return bce_with_logits(v[0], v[1], p); }, {z, t}))
          << shape_str(shape) << " pos_weight " << p;
    }
  }
  // Targets that need no gradient get none.
  Tensor z = rand_param({3, 2}, rng);
  const Tensor t = rand_uniform({3, 2}, 0, 1, rng, DType::F64);
  EXPECT_TRUE(gradcheck([t](const std::vector<Tensor>& v) { return bce_with_logits(v[0], t); }, {z}));
  EXPECT_FALSE(t.grad().defined());
}

TEST(BceWithLogits, BadInputsAreClearErrors) {
  const auto expect_error = [](auto f, const std::string& part) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing: " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([] { bce_with_logits(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})); },
               "bce_with_logits: shapes differ: (2, 3) vs (3, 2)");
  expect_error([] { bce_with_logits(Tensor::zeros({2}), Tensor::zeros({2}, DType::F64)); },
               "bce_with_logits: dtypes differ");
  expect_error([] { bce_with_logits(Tensor::zeros({0, 4}), Tensor::zeros({0, 4})); },
               "bce_with_logits: the inputs (0, 4) are empty");
  expect_error([] { bce_with_logits(Tensor::zeros({2}), Tensor::zeros({2}), -1.0); },
               "pos_weight must be finite and >= 0");
}
