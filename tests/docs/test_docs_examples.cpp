// The runnable examples of the learning path (docs/README.md): one small example per chapter whose printed numbers
// the chapter's page shows, pinned here, so a reader can run
//   build-test/tests/docs/test_docs_examples --gtest_filter='DocsExample.Autograd*'
// and see the page's numbers. (The loss chapter's example is tests/yolo/test_loss_worked_example.cpp, the decode's
// DetectDecode.OneCellByHand: each lives beside the tests of its code.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "imgproc/chain.h"
#include "tensor/cpu/gemm.h"
#include "tensor/ops/batchnorm2d.h"
#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/permute.h"
#include "tensor/random.h"
#include "yolo/model.h"
#include "yolo/nms.h"
#include "yolo/yaml_config.h"

namespace yp {
namespace {

void print_values(const char* name, const Tensor& t) {
  std::printf("%s %s:", name, shape_str(t.shape()).c_str());
  for (int64_t i = 0; i < t.numel(); ++i) std::printf(" %g", t.at(i));
  std::printf("\n");
}

// Chapter 1 (docs/tensor.md): a handle to contiguous row-major memory; reshape shares it, permute copies.
TEST(DocsExample, TensorReshapeSharesPermuteCopies) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = a.reshape({3, 2});
  b.data<float>()[0] = 10;  // writes a's buffer too
  const Tensor c = permute(a, {1, 0});
  print_values("a", a);
  print_values("b = a.reshape({3, 2})", b);
  print_values("c = permute(a, {1, 0})", c);
  EXPECT_EQ(a.at(0), 10);
  EXPECT_EQ(c.shape(), (Shape{3, 2}));
  const double expected[6] = {10, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.at(i), expected[i]) << i;
  a.data<float>()[1] = 20;  // c is a copy: unchanged
  EXPECT_EQ(c.at(2), 2);
}

// Chapter 2 (docs/autograd.md): micrograd's example, L = (a b + c) f, through the engine's autograd.
TEST(DocsExample, AutogradMicrogradExample) {
  auto leaf = [](double v) { return Tensor::full({}, v, DType::F64).set_requires_grad(true); };
  Tensor a = leaf(2), b = leaf(-3), c = leaf(10), f = leaf(-2);
  const Tensor e = mul(a, b), d = add(e, c), L = mul(d, f);
  L.backward();
  std::printf("L = %g   dL/da = %g   dL/db = %g   dL/dc = %g   dL/df = %g\n", L.item(), a.grad().item(),
              b.grad().item(), c.grad().item(), f.grad().item());
  EXPECT_EQ(L.item(), -8);
  EXPECT_EQ(a.grad().item(), 6);   // dL/da = f b
  EXPECT_EQ(b.grad().item(), -4);  // f a
  EXPECT_EQ(c.grad().item(), -2);  // f
  EXPECT_EQ(f.grad().item(), 4);   // a b + c
}

// Chapter 3 (docs/conv2d.md): a 2 x 2 convolution by the engine, against the sum written out.
TEST(DocsExample, ConvolutionByHand) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = conv2d(x, w, Tensor(), {1, 0});
  print_values("y = conv2d(x, w)", y);
  std::printf("GEMM kernels in use: %s\n", gemm_kernel_name());
  // y[i][j] = 1 x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1]
  const double expected[4] = {37, 47, 67, 77};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y.at(i), expected[i]) << i;
}

// Chapter 4 (docs/batchnorm.md): one channel of four values in training mode.
TEST(DocsExample, BatchNormOneChannel) {
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {4, 1, 1, 1});
  const Tensor gamma = Tensor::full({1}, 1.0, DType::F64), beta = Tensor::full({1}, 0.0, DType::F64);
  Tensor mean = Tensor::full({1}, 0.0, DType::F64), var = Tensor::full({1}, 1.0, DType::F64);
  const Tensor y = batchnorm2d(x, gamma, beta, mean, var, {true, 0.03, 1e-3});
  print_values("y", y);
  std::printf("running mean %g, running var %g\n", mean.at(0), var.at(0));
  // batch mean 2.5, biased variance 1.25: y = (x - 2.5) / sqrt(1.25 + 0.001)
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y.at(i), (i + 1 - 2.5) / std::sqrt(1.251), 1e-12) << i;
  EXPECT_NEAR(mean.at(0), 0.03 * 2.5, 1e-12);               // 0.97 * 0 + 0.03 * 2.5
  EXPECT_NEAR(var.at(0), 0.97 * 1 + 0.03 * (5.0 / 3), 1e-12);  // unbiased variance 5/3 in the running estimate
}

// Chapter 5 (docs/model.md): yolov5n from its yaml: size, cost and the three Detect inputs at 640 x 640.
TEST(DocsExample, Yolov5nAt640) {
  yolo::ModelOptions o;
  o.random_init = false;
  const yolo::Model model(yolo::builtin_yolo_config("yolov5n"), o);
  int64_t params = 0;
  for (const auto& l : model.layers()) params += l.params;
  const auto shapes = model.layer_output_shapes(640, 640);
  std::printf("yolov5n: %d layers, %lld parameters, %.2f GFLOPs at 640x640\n", model.num_layers(), (long long)params,
              model.flops(640, 640) / 1e9);
  for (int i : {17, 20, 23}) std::printf("layer %d -> Detect: %s\n", i, shape_str(shapes[(size_t)i]).c_str());
  EXPECT_EQ(model.num_layers(), 25);
  EXPECT_EQ(params, 1872157);
  EXPECT_EQ(shapes[17], (Shape{1, 64, 80, 80}));
  EXPECT_EQ(shapes[20], (Shape{1, 128, 40, 40}));
  EXPECT_EQ(shapes[23], (Shape{1, 256, 20, 20}));
}

// Chapter 8 (docs/inference.md, NMS): two boxes of one class overlap, a third of another class overlaps them, a fourth
// is below the confidence threshold.
TEST(DocsExample, NonMaxSuppression) {
  // rows: cx, cy, w, h, obj, p(class 0), p(class 1)
  const std::vector<float> rows = {50, 50, 20, 20, 0.9f, 0.9f, 0.1f,    // A: class 0, score 0.81
                                   52, 51, 20, 20, 0.8f, 0.9f, 0.1f,    // B: class 0, score 0.72, IoU with A 0.75
                                   52, 51, 20, 20, 0.8f, 0.1f, 0.9f,    // C: class 1, score 0.72
                                   150, 150, 10, 10, 0.2f, 0.9f, 0.1f};  // D: obj 0.2 < conf 0.25
  const auto kept = yolo::non_max_suppression(rows.data(), 4, 7, yolo::NmsOptions{});
  for (const auto& d : kept)
    std::printf("kept: class %d  score %.2f  box (%g, %g) - (%g, %g)\n", d.cls, d.conf, d.x1, d.y1, d.x2, d.y2);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].cls, 0);
  EXPECT_NEAR(kept[0].conf, 0.81f, 1e-6);
  EXPECT_EQ(kept[0].x1, 40);
  EXPECT_EQ(kept[1].cls, 1);
  EXPECT_NEAR(kept[1].conf, 0.72f, 1e-6);
}

// Chapter 10 (docs/preprocessing.md): the chain's steps one after the other on a synthetic micrograph: 16 dark
// discs (particles, 6 px radius, 0.05 darker) under Gaussian noise of 0.2, four times their contrast. After each
// step: the particles' contrast against the background divided by the background's standard deviation (a
// signal-to-noise ratio the eye reads), and the value range. No resize: the picture stays 128 x 128.
TEST(DocsExample, PreprocessingChainSteps) {
  const int n = 128;
  imgproc::Image img(n, n);
  std::vector<bool> particle((size_t)(n * n), false);
  Rng rng(7);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      bool inside = false;
      for (int k = 0; k < 16; ++k) {
        const int cx = 16 + 32 * (k % 4), cy = 16 + 32 * (k / 4);
        inside |= (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 36;
      }
      particle[(size_t)(y * n + x)] = inside;
      img.data[(size_t)(y * n + x)] = (float)(0.5 - (inside ? 0.05 : 0.0) + 0.2 * rng.normal());
    }
  auto snr = [&](const imgproc::Image& im) {
    double sp = 0, sb = 0, sbb = 0;
    int np = 0, nb = 0;
    for (size_t i = 0; i < im.data.size(); ++i)
      if (particle[i]) sp += im.data[i], ++np;
      else sb += im.data[i], sbb += (double)im.data[i] * im.data[i], ++nb;
    const double mb = sb / nb, sd = std::sqrt(sbb / nb - mb * mb);
    return (mb - sp / np) / sd;
  };
  const char* steps[] = {"", "wavelet", "wavelet,wiener", "wavelet,wiener,clahe", "wavelet,wiener,clahe,normalize"};
  const double expected_snr[] = {0.298, 1.040, 1.245, 1.314, 1.314};  // docs/preprocessing.md shows these
  for (int k = 0; k < 5; ++k) {
    imgproc::ChainConfig c;
    imgproc::set_steps(c, steps[k]);
    const imgproc::Image out = run_chain(img, c);
    float lo = out.data[0], hi = out.data[0];
    for (float v : out.data) lo = std::min(lo, v), hi = std::max(hi, v);
    std::printf("%-32s particle SNR %.3f   range %6.3f .. %5.3f\n", k ? steps[k] : "(input)", snr(out), lo, hi);
    EXPECT_NEAR(snr(out), expected_snr[k], 0.001) << steps[k];
    if (k >= 3) {
      EXPECT_TRUE(lo >= 0 && hi <= 1) << steps[k];  // CLAHE and the normalisation give [0, 1]
    }
  }
}

}  // namespace
}  // namespace yp
