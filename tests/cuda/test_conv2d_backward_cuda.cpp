// test_conv2d_backward_cuda.cpp: conv2d input, weight and bias gradients against double loops
// (the transposes of conv_reference.h), and the cuDNN yardstick in both math modes when built.
#include "cuda_kernels/conv2d.h"
#include "tensor/ops/conv2d.h"
#include "tests/cuda/conv_edge_shapes.h"
#include "tests/cuda/conv_reference.h"
#include "tests/cuda/cuda_test_support.h"
#if YOLOPICK_WITH_CUDNN
#include "cuda_kernels/cudnn/conv2d_cudnn.h"
#endif

namespace yp::test {
namespace {

using cuda::Conv2dShape;

struct Grads {
  std::vector<double> dx, dw, db;
};

// Scatter form of the chain rule: every (output, weight tap) pair adds its product to dx and dw.
Grads conv2d_backward_reference(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& dy,
                                const Conv2dShape& s) {
  Grads g{std::vector<double>((size_t)s.x_numel()), std::vector<double>((size_t)s.w_numel()),
          std::vector<double>((size_t)s.k)};
  for (int n = 0; n < s.n; ++n)
    for (int k = 0; k < s.k; ++k)
      for (int p = 0; p < s.p; ++p)
        for (int q = 0; q < s.q; ++q) {
          const double d = dy[((n * s.k + k) * s.p + p) * s.q + q];
          g.db[k] += d;
          for (int c = 0; c < s.c; ++c)
            for (int r = 0; r < s.r; ++r)
              for (int t = 0; t < s.s; ++t) {
                const int ih = p * s.stride - s.pad + r, iw = q * s.stride - s.pad + t;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                const size_t xi = ((size_t)(n * s.c + c) * s.h + ih) * s.w + iw;
                const size_t wi = ((size_t)(k * s.c + c) * s.r + r) * s.s + t;
                g.dx[xi] += d * w[wi];
                g.dw[wi] += d * x[xi];
              }
        }
  return g;
}

// The references themselves, checked against the engine's CPU conv2d and its autograd backward:
// this runs without a GPU, so a wrong reference is caught before any device ever runs the tests.
TEST(CudaConv2dReference, AgreesWithTensorConv2dOnCpu) {
  unsigned seed = 2000;
  for (const Conv2dShape& s : conv_test_shapes()) {
    const auto x = random_floats((size_t)s.x_numel(), seed += 10), w = random_floats((size_t)s.w_numel(), seed + 1),
               b = random_floats((size_t)s.k, seed + 2), dy = random_floats((size_t)s.y_numel(), seed + 3);
    Tensor xt = Tensor::from_vector(x, {s.n, s.c, s.h, s.w}).set_requires_grad(true);
    Tensor wt = Tensor::from_vector(w, {s.k, s.c, s.r, s.s}).set_requires_grad(true);
    Tensor bt = Tensor::from_vector(b, {s.k}).set_requires_grad(true);
    Tensor y = conv2d(xt, wt, bt, Conv2dParams{s.stride, s.pad});
    y.backward(Tensor::from_vector(dy, y.shape()));
    const Grads ref = conv2d_backward_reference(x, w, dy, s);
    EXPECT_TRUE(close_to_ref(y.to_vector(), conv2d_reference(x, w, &b, s), kTolFP32)) << "y " << s.str();
    EXPECT_TRUE(close_to_ref(xt.grad().to_vector(), ref.dx, kTolFP32)) << "dx " << s.str();
    EXPECT_TRUE(close_to_ref(wt.grad().to_vector(), ref.dw, kTolFP32)) << "dw " << s.str();
    EXPECT_TRUE(close_to_ref(bt.grad().to_vector(), ref.db, kTolFP32)) << "db " << s.str();
  }
}

void check_backward(const std::vector<Conv2dShape>& shapes, unsigned seed) {
  for (const Conv2dShape& s : shapes) {
    const auto x = random_floats((size_t)s.x_numel(), seed += 10), w = random_floats((size_t)s.w_numel(), seed + 1),
               dy = random_floats((size_t)s.y_numel(), seed + 2);
    const Grads ref = conv2d_backward_reference(x, w, dy, s);
    DeviceArray<float> dx_d(x.size()), dw_d(w.size()), db_d((size_t)s.k), x_d(x), w_d(w), dy_d(dy);
    dx_d.poison();
    dw_d.poison();
    db_d.poison();
    cuda::conv2d_backward_data(dy_d.get(), w_d.get(), dx_d.get(), s);
    cuda::conv2d_backward_weight(x_d.get(), dy_d.get(), dw_d.get(), s);
    cuda::conv2d_backward_bias(dy_d.get(), db_d.get(), s);
    EXPECT_TRUE(close_to_ref(dx_d.download(), ref.dx, kTolFP32)) << "dx on " << s.str();
    EXPECT_TRUE(close_to_ref(dw_d.download(), ref.dw, kTolFP32)) << "dw on " << s.str();
    EXPECT_TRUE(close_to_ref(db_d.download(), ref.db, kTolFP32)) << "db on " << s.str();
  }
}

TEST(CudaConv2dBackward, DataWeightBias) {
  YP_REQUIRE_CUDA();
  check_backward(conv_test_shapes(), 3000);
}

TEST(CudaConv2dBackward, DataWeightBiasOnRaggedEdges) {
  YP_REQUIRE_CUDA();
  check_backward(conv_edge_shapes(), 3500);
  check_backward(conv_split_k_shapes(), 3700);
}

// The split-K weight gradient adds its partials in a fixed order: two runs give the same bits.
TEST(CudaConv2dBackward, WeightGradientIsDeterministic) {
  YP_REQUIRE_CUDA();
  for (const Conv2dShape& s : conv_split_k_shapes()) {
    DeviceArray<float> x(random_floats((size_t)s.x_numel(), 51)), dy(random_floats((size_t)s.y_numel(), 52)),
        dw(s.w_numel());
    cuda::conv2d_backward_weight(x.get(), dy.get(), dw.get(), s);
    const std::vector<float> first = dw.download();
    dw.poison();
    cuda::conv2d_backward_weight(x.get(), dy.get(), dw.get(), s);
    EXPECT_TRUE(same_bits(dw.download(), first)) << s.str();
  }
}

// A long reduction (N*P*Q = 2*48*48) so the weight gradient really is split over several blocks.
TEST(CudaConv2dBackward, WeightGradientSplitK) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(2, 8, 48, 48, 8, 3, 3, 1, 1);
  const auto x = random_floats((size_t)s.x_numel(), 41), w = random_floats((size_t)s.w_numel(), 42),
             dy = random_floats((size_t)s.y_numel(), 43);
  const Grads ref = conv2d_backward_reference(x, w, dy, s);
  DeviceArray<float> dw_d(w.size()), x_d(x), dy_d(dy);
  dw_d.poison();
  cuda::conv2d_backward_weight(x_d.get(), dy_d.get(), dw_d.get(), s);
  EXPECT_TRUE(close_to_ref(dw_d.download(), ref.dw, kTolFP32));
}

#if YOLOPICK_WITH_CUDNN
TEST(CudaConv2dCudnn, ForwardAndBackwardBothMathModes) {
  YP_REQUIRE_CUDA();
  unsigned seed = 7000;
  for (const Conv2dShape& s : conv_test_shapes()) {
    const auto x = random_floats((size_t)s.x_numel(), seed += 10), w = random_floats((size_t)s.w_numel(), seed + 1),
               b = random_floats((size_t)s.k, seed + 2), dy = random_floats((size_t)s.y_numel(), seed + 3);
    const std::vector<double> y_ref = conv2d_reference(x, w, &b, s);
    const Grads ref = conv2d_backward_reference(x, w, dy, s);
    DeviceArray<float> x_d(x), w_d(w), b_d(b), dy_d(dy), y_d(y_ref.size()), dx_d(x.size()), dw_d(w.size());
    for (cuda::Conv2dMath math : {cuda::Conv2dMath::FP32, cuda::Conv2dMath::TF32}) {
      const double tol = math == cuda::Conv2dMath::FP32 ? kTolFP32 : kTolTF32;
      const std::string tag = std::string(cuda::cudnn::math_name(math)) + " " + s.str();
      y_d.poison();
      dx_d.poison();
      dw_d.poison();
      cuda::cudnn::conv2d_forward(x_d.get(), w_d.get(), b_d.get(), y_d.get(), s, math);
      cuda::cudnn::conv2d_backward_data(dy_d.get(), w_d.get(), dx_d.get(), s, math);
      cuda::cudnn::conv2d_backward_weight(x_d.get(), dy_d.get(), dw_d.get(), s, math);
      EXPECT_TRUE(close_to_ref(y_d.download(), y_ref, tol)) << "y " << tag;
      EXPECT_TRUE(close_to_ref(dx_d.download(), ref.dx, tol)) << "dx " << tag;
      EXPECT_TRUE(close_to_ref(dw_d.download(), ref.dw, tol)) << "dw " << tag;
    }
  }
}
#endif

}  // namespace
}  // namespace yp::test
