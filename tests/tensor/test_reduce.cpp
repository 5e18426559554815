// sum and mean: shape () results against naive double sums (several chunks of ordered_sum
// included), bitwise independence from the thread count, finite-difference gradients, and the
// empty cases.
#include <gtest/gtest.h>

#include "tensor/ops/reduce.h"
#include "tensor/parallel.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

TEST(Reduce, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(1);
  for (const Shape& shape : std::vector<Shape>{{3, 5, 7}, {1}, {1, 1, 1, 1}, {3 * 4096 + 17}, {}}) {
    const Tensor x = randn(shape, rng);
    double ref = 0;
    for (int64_t i = 0; i < x.numel(); ++i) ref += x.at(i);
    const Tensor s = sum(x), m = mean(x);
    EXPECT_EQ(s.shape(), Shape{});
    EXPECT_EQ(s.numel(), 1);
    EXPECT_EQ(s.dtype(), DType::F32);
    EXPECT_NEAR(s.item(), ref, 1e-5 * (1 + std::fabs(ref))) << shape_str(shape);
    EXPECT_NEAR(m.item(), ref / (double)x.numel(), 1e-6) << shape_str(shape);
  }
}

TEST(Reduce, SameBitsWhateverTheThreadCount) {
  Rng rng(2);
  const Tensor x = randn({300000}, rng);  // above the parallel threshold
  set_cpu_threads(1);
  const double one = sum(x).item();
  set_cpu_threads(2);
  const double two = sum(x).item();
  set_cpu_threads(0);
  const double all = sum(x).item();
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, all);
}

TEST(Reduce, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  for (const Shape& shape : std::vector<Shape>{{2, 3, 5}, {1, 1, 1, 1}, {7}, {}}) {
    Tensor x = rand_param(shape, rng);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return sum(v[0]); }, {x})) << shape_str(shape);
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return mean(v[0]); }, {x})) << shape_str(shape);
  }
}

TEST(Reduce, EmptyTensorSumsToZeroAndHasNoMean) {
  const Tensor x = Tensor::zeros({2, 0, 3});
  EXPECT_EQ(sum(x).item(), 0.0);
  try {
    mean(x);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mean: the tensor (2, 0, 3) is empty"), std::string::npos) << e.what();
  }
  try {
    sum(Tensor::zeros({2}, DType::F16));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sum: needs float32 or float64"), std::string::npos) << e.what();
  }
}

TEST(Reduce, SumOfSquaresAddsEveryElementOfEveryDefinedTensor) {
  Rng rng(4);
  const std::vector<Tensor> xs = {randn({5000}, rng), Tensor(), randn({3, 7}, rng), Tensor::zeros({0})};
  double ref = 0;
  for (const Tensor& x : xs)
    for (int64_t i = 0; x.defined() && i < x.numel(); ++i) ref += x.at(i) * x.at(i);
  EXPECT_NEAR(sum_of_squares(xs), ref, 1e-12 * ref);
  EXPECT_EQ(sum_of_squares({}), 0.0);
  EXPECT_THROW(sum_of_squares({Tensor::zeros({2}, DType::F64)}), Error);
}
