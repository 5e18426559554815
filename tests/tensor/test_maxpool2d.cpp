// maxpool2d: forward against a naive loop (padding as -infinity), backward against a naive scatter
// on inputs full of ties (the first maximum in row-major window order takes the gradient, as
// PyTorch), finite-difference gradients on inputs without ties, and clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tensor/ops/maxpool2d.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

struct PoolCase {
  Shape x;
  int kernel, stride, padding;
};

// The naive pool: for every output, scan the whole window (padding included, as -infinity) and
// keep the first strictly greater value. Returns y and, for the upstream gradient dy, dx.
struct NaivePool {
  std::vector<double> y, dx;
  Shape y_shape;
};

NaivePool naive_maxpool(const Tensor& x, const PoolCase& c, const Tensor& dy) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t P = (H + 2 * c.padding - c.kernel) / c.stride + 1, Q = (W + 2 * c.padding - c.kernel) / c.stride + 1;
  NaivePool out{std::vector<double>((size_t)(N * C * P * Q)), std::vector<double>((size_t)x.numel(), 0.0),
                {N, C, P, Q}};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          double best = -std::numeric_limits<double>::infinity();
          int64_t best_at = -1;
          for (int r = 0; r < c.kernel; ++r)
            for (int s = 0; s < c.kernel; ++s) {
              const int64_t h = p * c.stride - c.padding + r, w = q * c.stride - c.padding + s;
              const bool inside = h >= 0 && h < H && w >= 0 && w < W;
              const int64_t at = ((n * C + ch) * H + h) * W + w;
              if (inside && x.at(at) > best) {
                best = x.at(at);
                best_at = at;
              }
            }
          const int64_t o = ((n * C + ch) * P + p) * Q + q;
          out.y[(size_t)o] = best;
          if (dy.defined()) out.dx[(size_t)best_at] += dy.at(o);
        }
  return out;
}

// Values 0.1 apart in random order: no ties, and a +-1e-6 perturbation never changes an argmax.
Tensor distinct_values(const Shape& shape, Rng& rng) {
  const int64_t n = shape_numel(shape);
  std::vector<double> v((size_t)n);
  for (int64_t i = 0; i < n; ++i) v[(size_t)i] = 0.1 * (double)i - 0.05 * (double)n;
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[(size_t)i], v[(size_t)rng.randint(0, i + 1)]);
  Tensor t = Tensor::from_vector(v, shape);
  t.set_requires_grad(true);
  return t;
}

const std::vector<PoolCase> kCases = {
    {{2, 3, 8, 8}, 2, 2, 0},   // the classic 2x2/2
    {{1, 2, 7, 9}, 5, 1, 2},   // SPPF's 5/1/2, odd sizes, batch 1
    {{2, 2, 7, 6}, 3, 2, 1},   // stride 2 with padding, output size rounds down
    {{1, 1, 5, 5}, 3, 1, 0},   // overlapping windows, no padding
    {{2, 3, 1, 1}, 1, 1, 0},   // 1x1 spatial
    {{1, 2, 1, 1}, 3, 1, 1},   // 1x1 spatial inside a padded 3x3 window
    {{1, 1, 4, 7}, 4, 3, 2},   // even kernel, padding = kernel/2
};

}  // namespace

TEST(MaxPool2d, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(1);
  for (const PoolCase& c : kCases) {
    const Tensor x = randn(c.x, rng);
    const Tensor y = maxpool2d(x, c.kernel, c.stride, c.padding);
    const NaivePool ref = naive_maxpool(x, c, Tensor());
    ASSERT_EQ(y.shape(), ref.y_shape) << shape_str(c.x);
    EXPECT_TRUE(all_close(to_doubles(y), ref.y, 0, 0)) << shape_str(c.x) << " kernel " << c.kernel;
  }
}

// Stride 1 takes the separable path (row maxima, then column maxima): SPPF's shape at a size with many
// border windows, in float32 and double, and a NaN anywhere in a window comes out as NaN (as the k x k scan
// and PyTorch give) while the windows that do not hold it are unaffected.
TEST(MaxPool2d, SeparableStride1MatchesNaiveLoopAndKeepsNaN) {
  Rng rng(3);
  // Rows with unclipped windows in the middle, and rows narrower than the window (every window clipped).
  for (const PoolCase& c : {PoolCase{{2, 3, 13, 11}, 5, 1, 2}, PoolCase{{1, 2, 4, 3}, 5, 1, 2}})
    for (DType dtype : {DType::F32, DType::F64}) {
      const Tensor x = randn(c.x, rng, dtype);
      EXPECT_TRUE(all_close(to_doubles(maxpool2d(x, c.kernel, c.stride, c.padding)), naive_maxpool(x, c, Tensor()).y, 0, 0));
    }
  Tensor x = randn({1, 1, 9, 9}, rng);
  x.data<float>()[4 * 9 + 4] = std::numeric_limits<float>::quiet_NaN();  // centre pixel (4, 4)
  const Tensor y = maxpool2d(x, 5, 1, 2);
  for (int p = 0; p < 9; ++p)
    for (int q = 0; q < 9; ++q)
      EXPECT_EQ(std::isnan(y.data<float>()[p * 9 + q]), std::abs(p - 4) <= 2 && std::abs(q - 4) <= 2) << p << "," << q;
}

TEST(MaxPool2d, BackwardRoutesTiesToTheFirstMaximumLikeTheNaiveLoop) {
  Rng rng(2);
  for (const PoolCase& c : kCases) {
    // Values in {0, 1, 2}: nearly every window holds ties.
    Tensor x = rand_uniform(c.x, 0, 3, rng);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = std::floor(x.data<float>()[i]);
    x.set_requires_grad(true);
    const Tensor y = maxpool2d(x, c.kernel, c.stride, c.padding);
    const Tensor dy = randn(y.shape(), rng);
    y.backward(dy);
    const NaivePool ref = naive_maxpool(x, c, dy);
    EXPECT_TRUE(all_close(to_doubles(x.grad()), ref.dx, 1e-6, 1e-6)) << shape_str(c.x) << " kernel " << c.kernel;
  }
}

TEST(MaxPool2d, AllEqualWindowSendsTheGradientToItsTopLeft) {
  Tensor x = Tensor::full({1, 1, 2, 2}, 1.0);
  x.set_requires_grad(true);
  maxpool2d(x, 2, 2, 0).backward(Tensor::full({1, 1, 1, 1}, 3.0));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3, 0, 0, 0}));
}

TEST(MaxPool2d, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  for (const PoolCase& c : kCases) {
    Tensor x = distinct_values(c.x, rng);
    EXPECT_TRUE(gradcheck([c](const std::vector<Tensor>& v) { return maxpool2d(v[0], c.kernel, c.stride, c.padding); },
                          {x}))
        << shape_str(c.x) << " kernel " << c.kernel << " stride " << c.stride << " padding " << c.padding;
  }
}

TEST(MaxPool2d, BadArgumentsAreClearErrors) {
  const Tensor x = Tensor::zeros({1, 2, 4, 4});
  const auto expect_error = [](auto f, const std::string& part) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing: " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error([] { maxpool2d(Tensor::zeros({2, 4, 4}), 2, 2, 0); },
               "maxpool2d: x must have 4 dimensions, got (2, 4, 4)");
  expect_error([&] { maxpool2d(x, 0, 1, 0); }, "kernel and stride must be >= 1");
  expect_error([&] { maxpool2d(x, 2, 0, 0); }, "kernel and stride must be >= 1");
  expect_error([&] { maxpool2d(x, 3, 1, 2); }, "padding must be between 0 and kernel/2");
  expect_error([&] { maxpool2d(x, 2, 1, -1); }, "padding must be between 0 and kernel/2");
  expect_error([&] { maxpool2d(x, 7, 1, 1); }, "smaller than the window");
  expect_error([] { maxpool2d(Tensor::zeros({1, 1, 2, 2}, DType::F16), 2, 2, 0); }, "needs float32 or float64");
}
