// upsample_nearest: forward against the index formula y[i,j] = x[i/s, j/s], finite-difference
// gradients (each input collects its s x s block), and clear errors.
#include <gtest/gtest.h>

#include "tensor/ops/upsample.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

TEST(UpsampleNearest, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(1);
  for (const auto& [shape, s] : std::vector<std::pair<Shape, int>>{
           {{2, 3, 4, 5}, 2}, {{1, 2, 3, 1}, 3}, {{1, 1, 1, 1}, 2}, {{2, 2, 3, 3}, 1}}) {
    const Tensor x = randn(shape, rng);
    const Tensor y = upsample_nearest(x, s);
    const int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
    ASSERT_EQ(y.shape(), (Shape{N, C, H * s, W * s}));
    std::vector<double> ref;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < H * s; ++i)
          for (int64_t j = 0; j < W * s; ++j) ref.push_back(x.at(((n * C + c) * H + i / s) * W + j / s));
    EXPECT_TRUE(all_close(to_doubles(y), ref, 0, 0)) << shape_str(shape) << " scale " << s;
  }
}

TEST(UpsampleNearest, GradientsMatchFiniteDifferences) {
  Rng rng(2);
  for (const auto& [shape, s] : std::vector<std::pair<Shape, int>>{
           {{2, 2, 3, 4}, 2}, {{1, 1, 3, 5}, 3}, {{1, 3, 1, 1}, 2}, {{2, 1, 2, 3}, 1}}) {
    Tensor x = rand_param(shape, rng);
    EXPECT_TRUE(gradcheck([s = s](const std::vector<Tensor>& v) { return upsample_nearest(v[0], s); }, {x}))
        << shape_str(shape) << " scale " << s;
  }
}

TEST(UpsampleNearest, BackwardSumsEachBlock) {
  Tensor x = Tensor::zeros({1, 1, 1, 2});
  x.set_requires_grad(true);
  upsample_nearest(x, 2).backward(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1 + 2 + 5 + 6, 3 + 4 + 7 + 8}));
}

TEST(UpsampleNearest, BadArgumentsAreClearErrors) {
  try {
    upsample_nearest(Tensor::zeros({1, 2, 2, 2}), 0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("upsample_nearest: scale must be >= 1, got 0"), std::string::npos) << e.what();
  }
  try {
    upsample_nearest(Tensor::zeros({2, 2, 2}), 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("upsample_nearest: x must have 4 dimensions, got (2, 2, 2)"),
              std::string::npos)
        << e.what();
  }
}
