// concat_channels and narrow_channels: forward against naive index loops for 4-D feature maps and
// 3-D (N, L, no) predictions, finite-difference gradients (also with an input that needs none),
// narrow(concat(xs)) == xs, and clear errors for mismatched or out-of-range shapes.
#include <gtest/gtest.h>

#include "tensor/ops/concat.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/maxpool2d.h"
#include "tensor/ops/reduce.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

// Element (n, c, k) of a (N, C, *rest) tensor with `inner` = prod(rest) elements per channel.
double element(const Tensor& t, int64_t n, int64_t c, int64_t k, int64_t inner) {
  return t.at((n * t.size(1) + c) * inner + k);
}

std::vector<double> naive_concat(const std::vector<Tensor>& xs, int64_t inner) {
  std::vector<double> out;
  for (int64_t n = 0; n < xs[0].size(0); ++n)
    for (const Tensor& x : xs)
      for (int64_t c = 0; c < x.size(1); ++c)
        for (int64_t k = 0; k < inner; ++k) out.push_back(element(x, n, c, k, inner));
  return out;
}

template <typename F> void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ConcatChannels, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(1);
  // Feature maps (N, C_i, H, W), odd sizes and batch 1.
  {
    const std::vector<Tensor> xs = {randn({2, 1, 3, 5}, rng), randn({2, 3, 3, 5}, rng), randn({2, 2, 3, 5}, rng)};
    const Tensor y = concat_channels(xs);
    ASSERT_EQ(y.shape(), (Shape{2, 6, 3, 5}));
    EXPECT_TRUE(all_close(to_doubles(y), naive_concat(xs, 15), 0, 0));
  }
  {
    const std::vector<Tensor> xs = {randn({1, 2, 1, 1}, rng), randn({1, 5, 1, 1}, rng)};
    EXPECT_TRUE(all_close(to_doubles(concat_channels(xs)), naive_concat(xs, 1), 0, 0));
  }
  // Detect's (N, na*H*W, no) predictions of several levels.
  {
    const std::vector<Tensor> xs = {randn({2, 12, 6}, rng), randn({2, 3, 6}, rng)};
    const Tensor y = concat_channels(xs);
    ASSERT_EQ(y.shape(), (Shape{2, 15, 6}));
    EXPECT_TRUE(all_close(to_doubles(y), naive_concat(xs, 6), 0, 0));
  }
}

TEST(NarrowChannels, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(2);
  for (const auto& [shape, start, length] : std::vector<std::tuple<Shape, int64_t, int64_t>>{
           {{2, 7, 3, 5}, 2, 4}, {{1, 4, 1, 1}, 0, 4}, {{3, 6, 5}, 5, 1}, {{2, 5}, 1, 3}, {{2, 3, 2, 2}, 1, 0}}) {
    const Tensor x = randn(shape, rng);
    const Tensor y = narrow_channels(x, start, length);
    Shape want = shape;
    want[1] = length;
    ASSERT_EQ(y.shape(), want);
    const int64_t inner = x.numel() / (shape[0] * shape[1]);
    std::vector<double> ref;
    for (int64_t n = 0; n < shape[0]; ++n)
      for (int64_t c = start; c < start + length; ++c)
        for (int64_t k = 0; k < inner; ++k) ref.push_back(element(x, n, c, k, inner));
    EXPECT_TRUE(all_close(to_doubles(y), ref, 0, 0)) << shape_str(shape);
  }
}

TEST(ConcatChannels, NarrowUndoesConcat) {
  Rng rng(3);
  const std::vector<Tensor> xs = {randn({2, 3, 4, 3}, rng), randn({2, 1, 4, 3}, rng), randn({2, 2, 4, 3}, rng)};
  const Tensor y = concat_channels(xs);
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    EXPECT_TRUE(all_close(narrow_channels(y, offset, x.size(1)), x, 0, 0));
    offset += x.size(1);
  }
}

TEST(ConcatChannels, GradientsMatchFiniteDifferences) {
  Rng rng(4);
  const auto cat = [](const std::vector<Tensor>& v) { return concat_channels(v); };
  EXPECT_TRUE(gradcheck(cat, {rand_param({2, 2, 3, 5}, rng), rand_param({2, 1, 3, 5}, rng),
                              rand_param({2, 3, 3, 5}, rng)}));
  EXPECT_TRUE(gradcheck(cat, {rand_param({1, 3, 1, 1}, rng), rand_param({1, 2, 1, 1}, rng)}));
  EXPECT_TRUE(gradcheck(cat, {rand_param({2, 4, 3}, rng), rand_param({2, 1, 3}, rng)}));
  // An input that needs no gradient gets none, the others still get theirs.
  Tensor constant = randn({1, 2, 2, 3}, rng, DType::F64);
  EXPECT_TRUE(gradcheck(cat, {rand_param({1, 1, 2, 3}, rng), constant, rand_param({1, 2, 2, 3}, rng)}));
  EXPECT_FALSE(constant.grad().defined());
}

TEST(NarrowChannels, GradientsMatchFiniteDifferences) {
  Rng rng(5);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return narrow_channels(v[0], 1, 3); },
                        {rand_param({2, 5, 3, 3}, rng)}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return narrow_channels(v[0], 0, 1); },
                        {rand_param({1, 2, 1, 1}, rng)}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return narrow_channels(v[0], 4, 2); },
                        {rand_param({2, 6, 7}, rng)}));
  // Two slices of one tensor: their gradients add (channel 2 is in both).
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& v) {
        return concat_channels({narrow_channels(v[0], 0, 3), narrow_channels(v[0], 2, 2)});
      },
      {rand_param({2, 4, 2, 3}, rng)}));
}

TEST(ConcatChannels, MismatchedShapesAreClearErrors) {
  expect_error([] { concat_channels({}); }, "concat_channels: no inputs");
  expect_error([] { concat_channels({Tensor::zeros({2, 3, 4, 4}), Tensor::zeros({1, 3, 4, 4})}); },
               "concat_channels: batch sizes differ: input 1 (1, 3, 4, 4) vs input 0 (2, 3, 4, 4)");
  expect_error([] { concat_channels({Tensor::zeros({2, 3, 4, 4}), Tensor::zeros({2, 1, 4, 5})}); },
               "concat_channels: trailing sizes differ: input 1 (2, 1, 4, 5) has (4, 5) after the channels, input 0 "
               "has (4, 4)");
  expect_error([] { concat_channels({Tensor::zeros({2, 3, 4, 4}), Tensor::zeros({2, 3, 16})}); },
               "input 1 (2, 3, 16) has 3 dimensions, input 0 (2, 3, 4, 4) has 4");
  expect_error([] { concat_channels({Tensor::zeros({5})}); }, "must have at least 2 dimensions");
  expect_error([] { concat_channels({Tensor::zeros({1, 1}), Tensor::zeros({1, 1}, DType::F64)}); }, "dtypes differ");
}

TEST(NarrowChannels, OutOfRangeIsAClearError) {
  const Tensor x = Tensor::zeros({2, 4, 3, 3});
  expect_error([&] { narrow_channels(x, 3, 2); },
               "narrow_channels: channels [3, 5) are outside the 4 channels of (2, 4, 3, 3)");
  expect_error([&] { narrow_channels(x, -1, 2); }, "outside the 4 channels");
  expect_error([&] { narrow_channels(x, 1, -1); }, "outside the 4 channels");
  expect_error([] { narrow_channels(Tensor::zeros({4}), 0, 1); }, "must have at least 2 dimensions");
}

// The worked example of docs/autograd.md: a SiLU output used twice (directly and through a
// max-pool) meets again in a concat; its node must run once with both contributions summed.
TEST(ConcatChannels, DiamondThroughMaxPoolMatchesFiniteDifferences) {
  Rng rng(6);
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& v) {
        const Tensor a = silu(v[0]);
        return mean(concat_channels({a, maxpool2d(a, 5, 1, 2)}));
      },
      {rand_param({1, 2, 4, 4}, rng)}));
}
