// conv2d: finite-difference gradients in double on every YOLOv5 layer kind (6x6/s2/p2 stem, 3x3/s1,
// 3x3/s2, 1x1) at small odd shapes, and the Eigen path against a naive 7-loop reference in float32 on
// the real channel counts, forward and backward, including images big enough to be cut into bands.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

struct ConvCase {
  int64_t N, C, H, W, K, R;  // square R x R kernel
  int stride, pad;
};

Shape out_shape(const ConvCase& k) {
  return {k.N, k.K, conv2d_output_size(k.H, k.R, k.stride, k.pad), conv2d_output_size(k.W, k.R, k.stride, k.pad)};
}

// The definition, read straight off conv2d.h, accumulated in double.
std::vector<double> naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int pad) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t K = w.size(0), R = w.size(2), S = w.size(3);
  const int64_t P = (H + 2 * pad - R) / stride + 1, Q = (W + 2 * pad - S) / stride + 1;
  const std::vector<double> xv = to_doubles(x), wv = to_doubles(w);
  std::vector<double> y((size_t)(N * K * P * Q));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          double acc = b.defined() ? b.at(k) : 0.0;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < S; ++s) {
                const int64_t h = p * stride - pad + r, ww = q * stride - pad + s;
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                acc += wv[(size_t)(((k * C + c) * R + r) * S + s)] * xv[(size_t)(((n * C + c) * H + h) * W + ww)];
              }
          y[(size_t)(((n * K + k) * P + p) * Q + q)] = acc;
        }
  return y;
}

// The adjoint of the same loop: each product w*x sends dy*x to dw and dy*w to dx.
void naive_conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy, int stride, int pad,
                           std::vector<double>& dx, std::vector<double>& dw, std::vector<double>& db) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t K = w.size(0), R = w.size(2), S = w.size(3), P = dy.size(2), Q = dy.size(3);
  const std::vector<double> xv = to_doubles(x), wv = to_doubles(w), dyv = to_doubles(dy);
  dx.assign(xv.size(), 0.0);
  dw.assign(wv.size(), 0.0);
  db.assign((size_t)K, 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          const double g = dyv[(size_t)(((n * K + k) * P + p) * Q + q)];
          db[(size_t)k] += g;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < S; ++s) {
                const int64_t h = p * stride - pad + r, ww = q * stride - pad + s;
                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                const size_t xi = (size_t)(((n * C + c) * H + h) * W + ww), wi = (size_t)(((k * C + c) * R + r) * S + s);
                dx[xi] += g * wv[wi];
                dw[wi] += g * xv[xi];
              }
        }
}

::testing::AssertionResult conv_gradcheck(const ConvCase& k, bool with_bias, uint64_t seed) {
  Rng rng(seed);
  Tensor x = rand_param({k.N, k.C, k.H, k.W}, rng);
  Tensor w = rand_param({k.K, k.C, k.R, k.R}, rng);
  Tensor b = with_bias ? rand_param({k.K}, rng) : Tensor();
  const Conv2dParams prm{k.stride, k.pad};
  std::vector<Tensor> inputs{x, w};
  if (with_bias) inputs.push_back(b);
  return gradcheck(
      [prm](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), prm); },
      inputs);
}

// Float32 Eigen path vs the double naive loop, forward and all three gradients.
void expect_matches_naive_float32(const ConvCase& k, bool with_bias, uint64_t seed) {
  Rng rng(seed);
  Tensor x = randn({k.N, k.C, k.H, k.W}, rng);
  Tensor w = randn({k.K, k.C, k.R, k.R}, rng);
  Tensor b = with_bias ? randn({k.K}, rng) : Tensor();
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  if (with_bias) b.set_requires_grad(true);
  const Tensor y = conv2d(x, w, b, {k.stride, k.pad});
  ASSERT_EQ(y.shape(), out_shape(k));
  // Sums of C*R*S products of N(0,1) values have size ~sqrt(CRS); float32 rounding of such a sum is
  // ~1e-6 of it. Wrong indexing errs by O(1).
  EXPECT_TRUE(all_close(to_doubles(y), naive_conv2d(x, w, b, k.stride, k.pad), 1e-4, 1e-4));

  const Tensor dy = randn(y.shape(), rng);
  y.backward(dy);
  std::vector<double> dx, dw, db;
  naive_conv2d_backward(x, w, dy, k.stride, k.pad, dx, dw, db);
  EXPECT_TRUE(all_close(to_doubles(x.grad()), dx, 1e-4, 1e-4)) << "dx";
  // dw sums N*P*Q products: up to 2.5e4 terms here, so a looser absolute tolerance.
  EXPECT_TRUE(all_close(to_doubles(w.grad()), dw, 2e-3, 1e-4)) << "dw";
  if (with_bias) {
    EXPECT_TRUE(all_close(to_doubles(b.grad()), db, 2e-3, 1e-4)) << "db";
  }
}

}  // namespace

TEST(Conv2d, OutputSizeFollowsTheFormula) {
  EXPECT_EQ(conv2d_output_size(1024, 6, 2, 2), 512);  // the stem
  EXPECT_EQ(conv2d_output_size(512, 3, 2, 1), 256);
  EXPECT_EQ(conv2d_output_size(7, 3, 2, 1), 4);
  EXPECT_EQ(conv2d_output_size(5, 1, 1, 0), 5);
  EXPECT_EQ(conv2d_output_size(1, 3, 1, 1), 1);
  EXPECT_THROW(conv2d_output_size(2, 5, 1, 1), Error);
}

TEST(Conv2d, Gradients3x3Stride1) { EXPECT_TRUE(conv_gradcheck({2, 3, 7, 6, 4, 3, 1, 1}, true, 11)); }

TEST(Conv2d, GradientsStem6x6Stride2Pad2) { EXPECT_TRUE(conv_gradcheck({1, 3, 10, 9, 2, 6, 2, 2}, false, 12)); }

TEST(Conv2d, Gradients3x3Stride2OddSizes) { EXPECT_TRUE(conv_gradcheck({2, 2, 7, 5, 3, 3, 2, 1}, true, 13)); }

TEST(Conv2d, Gradients1x1UsesInputAsGemmOperand) { EXPECT_TRUE(conv_gradcheck({2, 3, 4, 5, 4, 1, 1, 0}, true, 14)); }

TEST(Conv2d, Gradients1x1Stride2GoesThroughIm2col) { EXPECT_TRUE(conv_gradcheck({1, 3, 5, 4, 2, 1, 2, 0}, false, 15)); }

TEST(Conv2d, GradientsOneByOneSpatialBatch1) {
  EXPECT_TRUE(conv_gradcheck({1, 4, 1, 1, 3, 3, 1, 1}, true, 16));  // 3x3 kernel, only its centre sees data
  EXPECT_TRUE(conv_gradcheck({1, 4, 1, 1, 3, 1, 1, 0}, false, 17));
}

TEST(Conv2d, GradientOnlyForWhatRequiresIt) {
  Rng rng(18);
  Tensor x = randn({1, 2, 5, 5}, rng, DType::F64);
  Tensor w = rand_param({3, 2, 3, 3}, rng);
  conv2d(x, w, Tensor(), {1, 1}).backward(Tensor::full({1, 3, 5, 5}, 1.0, DType::F64));
  EXPECT_FALSE(x.grad().defined());
  EXPECT_TRUE(w.grad().defined());
}

// The YOLOv5s layer kinds with their real channel counts, at small spatial sizes.
TEST(Conv2d, YoloLayerKindsMatchNaiveLoopFloat32) {
  expect_matches_naive_float32({2, 3, 34, 33, 32, 6, 2, 2}, false, 21);   // model.0 stem 6x6 s2 p2
  expect_matches_naive_float32({1, 32, 17, 16, 64, 3, 2, 1}, false, 22);  // model.1 3x3 s2
  expect_matches_naive_float32({2, 64, 9, 10, 32, 1, 1, 0}, false, 23);   // C3 cv1 1x1
  expect_matches_naive_float32({1, 128, 6, 7, 128, 3, 1, 1}, false, 24); // bottleneck cv2 3x3 s1
  expect_matches_naive_float32({1, 128, 5, 4, 255, 1, 1, 0}, true, 25);  // Detect 1x1 with bias
  // Stride-1 convs whose rows fill the GEMM panels read their taps in place from a zero-padded input.
  expect_matches_naive_float32({2, 24, 13, 42, 20, 3, 1, 1}, true, 26);
  expect_matches_naive_float32({1, 8, 9, 45, 12, 5, 1, 2}, false, 27);
}

// Big enough that the im2col buffer (CRS*Q = 576*160 elements per output row against a budget of
// 1 Mi elements) is filled in many bands of output rows (16 here, 4 even at a 4x larger budget). The
// bands of one image overlap in x, so the backward's col2im must accumulate across them.
TEST(Conv2d, BandedIm2colMatchesNaiveLoop) {
  expect_matches_naive_float32({1, 64, 160, 160, 4, 3, 1, 1}, true, 31);
  expect_matches_naive_float32({1, 64, 321, 321, 2, 3, 2, 1}, false, 32);
}

TEST(Conv2d, BadShapesAreClearErrors) {
  const Tensor x = Tensor::zeros({1, 3, 8, 8});
  try {
    conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x has 3 channels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3}), {}), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros({4, 3, 9, 9}), Tensor(), {}), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), {0, 1}), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::F64), Tensor(), {}), Error);
  EXPECT_THROW(conv2d(Tensor::zeros({3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor(), {}), Error);
  EXPECT_THROW(conv2d(Tensor::zeros({1, 0, 8, 8}), Tensor::zeros({4, 0, 3, 3}), Tensor(), {}), Error);
  // An empty batch is not an error: it gives an empty output.
  EXPECT_EQ(conv2d(Tensor::zeros({0, 3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor(), {1, 1}).shape(),
            (Shape{0, 4, 8, 8}));
}

// conv2d_silu's fused epilogue against the naive loop followed by the definition of SiLU, in float32 (the
// vectorised exp) and double, on the layer kinds and on an image cut into bands (each band applies its own
// SiLU). With an input that requires grad it records, and its gradient equals silu(conv2d(...))'s.
TEST(Conv2dSilu, FusedEpilogueMatchesNaiveConvThenSilu) {
  const std::vector<ConvCase> cases = {{2, 3, 34, 33, 16, 6, 2, 2}, {1, 32, 17, 16, 64, 3, 2, 1},
                                       {2, 64, 9, 10, 32, 1, 1, 0}, {1, 64, 160, 160, 4, 3, 1, 1}};
  uint64_t seed = 41;
  for (const ConvCase& k : cases)
    for (DType dtype : {DType::F32, DType::F64}) {
      Rng rng(seed++);
      const Tensor x = randn({k.N, k.C, k.H, k.W}, rng, dtype);
      const Tensor w = randn({k.K, k.C, k.R, k.R}, rng, dtype);
      const Tensor b = randn({k.K}, rng, dtype);
      const Tensor y = conv2d_silu(x, w, b, {k.stride, k.pad});
      ASSERT_EQ(y.shape(), out_shape(k));
      std::vector<double> want = naive_conv2d(x, w, b, k.stride, k.pad);
      for (double& v : want) v = v / (1 + std::exp(-v));
      EXPECT_TRUE(all_close(to_doubles(y), want, 1e-4, 1e-4)) << k.C << "x" << k.H << " " << dtype_name(dtype);
    }
  Rng rng(49);
  Tensor x = randn({1, 3, 6, 5}, rng, DType::F64);
  const Tensor w = randn({4, 3, 3, 3}, rng, DType::F64), b = randn({4}, rng, DType::F64);
  x.set_requires_grad(true);
  const Tensor dy = randn({1, 4, 6, 5}, rng, DType::F64);
  conv2d_silu(x, w, b, {1, 1}).backward(dy);
  const std::vector<double> fused = to_doubles(x.grad());
  x.zero_grad();
  silu(conv2d(x, w, b, {1, 1})).backward(dy);
  EXPECT_EQ(fused, to_doubles(x.grad()));
}
