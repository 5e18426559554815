// test_layers.cpp: the blocks wired right. Each is a composition of ops that have their own checks;
// here central finite differences in double precision (train mode, batch statistics) check that
// every parameter and the input receive the gradient of the composition, and forward checks pin the
// block formulas (residual, concat order, pooling chain, BN folding).
#include <gtest/gtest.h>

#include "layers/c3.h"
#include "layers/detect.h"
#include "layers/resample.h"
#include "layers/sppf.h"
#include "tensor/ops/batchnorm2d.h"
#include "tensor/ops/concat.h"
#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/maxpool2d.h"
#include "tests/support/gradcheck.h"

namespace yp {
namespace {

// Every parameter and buffer to float64 (parameters keep requires_grad); returns the parameters.
std::vector<Tensor> to_double(Module& m) {
  std::vector<Tensor> params;
  for (auto& [name, t] : m.state_dict()) {
    const bool param = t->requires_grad();
    *t = t->to(DType::F64);
    if (param) {
      t->set_requires_grad(true);
      params.push_back(*t);
    }
  }
  return params;
}

// Non-trivial BN affine parameters, so that gamma and beta gradients are not all alike.
void randomize_bn(Module& m, Rng& rng) {
  for (auto& [name, t] : m.state_dict()) {
    if (name.find("bn.weight") != std::string::npos) t->copy_from(rand_uniform(t->shape(), 0.5, 1.5, rng, t->dtype()));
    if (name.find("bn.bias") != std::string::npos) t->copy_from(rand_uniform(t->shape(), -0.5, 0.5, rng, t->dtype()));
    if (name.find("running_var") != std::string::npos) t->copy_from(rand_uniform(t->shape(), 0.5, 2, rng, t->dtype()));
    if (name.find("running_mean") != std::string::npos) t->copy_from(rand_uniform(t->shape(), -1, 1, rng, t->dtype()));
  }
}

std::vector<Tensor> with_input(const Tensor& x, std::vector<Tensor> params) {
  params.insert(params.begin(), x);
  return params;
}

TEST(LayerGradients, Conv) {
  Rng rng(1);
  Conv conv(2, 3, 3, 2, &rng);
  randomize_bn(conv, rng);
  const std::vector<Tensor> params = to_double(conv);
  Tensor x = randn({2, 2, 5, 5}, rng, DType::F64).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return conv.forward(in[0]); },
                              with_input(x, params)));
}

TEST(LayerGradients, C3WithAndWithoutShortcut) {
  for (bool shortcut : {true, false}) {
    Rng rng(2);
    C3 c3(3, 4, 2, shortcut, &rng);
    EXPECT_EQ(c3.m[0].add, shortcut);
    randomize_bn(c3, rng);
    const std::vector<Tensor> params = to_double(c3);
    Tensor x = randn({2, 3, 4, 4}, rng, DType::F64).set_requires_grad(true);
    EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return c3.forward(in[0]); },
                                with_input(x, params)))
        << "shortcut " << shortcut;
  }
}

TEST(LayerGradients, SPPF) {
  Rng rng(3);
  SPPF sppf(4, 3, 5, &rng);
  randomize_bn(sppf, rng);
  const std::vector<Tensor> params = to_double(sppf);
  Tensor x = randn({2, 4, 6, 6}, rng, DType::F64).set_requires_grad(true);
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& in) { return sppf.forward(in[0]); },
                              with_input(x, params)));
}

TEST(LayerGradients, DetectAndNeckLayers) {
  // Two levels: x0 -> Detect level 0; Upsample(x1) concatenated with x0 -> Detect level 1.
  Rng rng(4);
  Detect detect(2, {{10, 13, 16, 30}, {30, 61, 62, 45}}, {2, 5}, &rng);
  detect.set_strides({8, 16});
  Upsample up(2);
  Concat cat;
  const std::vector<Tensor> params = to_double(detect);
  Tensor x0 = randn({2, 2, 4, 4}, rng, DType::F64).set_requires_grad(true);
  Tensor x1 = randn({2, 3, 2, 2}, rng, DType::F64).set_requires_grad(true);
  std::vector<Tensor> inputs = params;
  inputs.insert(inputs.begin(), {x0, x1});
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& in) {
        const Tensor level1 = cat.forward({in[0], up.forward({in[1]})});
        const std::vector<Tensor> raw = detect.forward({in[0], level1});
        EXPECT_EQ(raw[1].shape(), (Shape{2, 2 * 7, 4, 4}));
        return concat_channels({raw[0], raw[1]});
      },
      inputs));
}

TEST(LayerForward, BlockFormulas) {
  Rng rng(5);
  C3 c3(4, 4, 1, true, &rng);
  randomize_bn(c3, rng);
  c3.eval();
  const Tensor x = randn({1, 4, 5, 5}, rng);
  // C3 = cv3(cat(m(cv1 x), cv2 x)), Bottleneck = x + cv2(cv1 x)
  const Tensor a = c3.cv1.forward(x);
  const Tensor b = add(a, c3.m[0].cv2.forward(c3.m[0].cv1.forward(a)));
  const Tensor expected = c3.cv3.forward(concat_channels({b, c3.cv2.forward(x)}));
  EXPECT_TRUE(test::all_close(c3.forward(x), expected, 0, 0));

  SPPF sppf(4, 4, 5, &rng);
  sppf.eval();
  const Tensor s = sppf.cv1.forward(x);
  const Tensor p1 = maxpool2d(s, 5, 1, 2), p2 = maxpool2d(p1, 5, 1, 2), p3 = maxpool2d(p2, 5, 1, 2);
  EXPECT_TRUE(test::all_close(sppf.forward(x), sppf.cv2.forward(concat_channels({s, p1, p2, p3})), 0, 0));
  // Two chained 5x5 stride-1 pools are one 9x9 pool (the SPP equivalence SPPF relies on).
  EXPECT_TRUE(test::all_close(p2, maxpool2d(s, 9, 1, 4), 0, 0));

  // Conv = SiLU(BN(conv)) with eval statistics.
  Conv& conv = c3.cv1;
  Tensor rm = conv.running_mean.clone(), rv = conv.running_var.clone();
  const Tensor ref = silu(batchnorm2d(conv2d(x, conv.weight, Tensor(), {1, 0}), conv.bn_weight, conv.bn_bias, rm, rv,
                                      {false, 0.03, 1e-3}));
  EXPECT_TRUE(test::all_close(conv.forward(x), ref, 0, 0));
}

TEST(LayerForward, FoldedConvEqualsConvBnSilu) {
  Rng rng(6);
  Conv conv(5, 7, 3, 2, &rng);
  randomize_bn(conv, rng);
  conv.eval();
  const Tensor x = randn({2, 5, 9, 9}, rng);
  const Tensor unfolded = conv.forward(x);
  conv.fold();
  ASSERT_TRUE(conv.folded());
  EXPECT_TRUE(test::all_close(conv.forward(x), unfolded, 1e-5, 1e-5));
  conv.train();
  EXPECT_FALSE(conv.folded());  // training must never see stale folded weights
  EXPECT_THROW(conv.fold(), Error);
}

TEST(LayerForward, TrainingUpdatesBatchNormStatistics) {
  Rng rng(7);
  Conv conv(2, 3, 1, 1, &rng);
  const Tensor x = randn({2, 2, 3, 3}, rng);
  conv.forward(x);
  EXPECT_EQ(conv.num_batches_tracked.item(), 1);
  EXPECT_NE(conv.running_mean.to_vector(), std::vector<float>(3, 0.f));
  conv.eval();
  const std::vector<float> before = conv.running_mean.to_vector();
  conv.forward(x);
  EXPECT_EQ(conv.running_mean.to_vector(), before);
}

TEST(LayerDetect, AnchorsAndBiasPriors) {
  Detect d(2, {{10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119}, {116, 90, 156, 198, 373, 326}}, {4, 4, 4},
           nullptr);  // zero weights: the biases are exactly the priors
  d.set_strides({8, 16, 32});
  d.initialize_biases();
  const std::vector<float> a = d.anchors.to_vector();
  EXPECT_FLOAT_EQ(a[0], 1.25f);   // 10 / 8
  EXPECT_FLOAT_EQ(a[16], 373.f / 32);
  for (int l = 0; l < 3; ++l) {
    const std::vector<float> b = d.m[(size_t)l].bias.to_vector();
    const double s = 8 << l;
    for (int anchor = 0; anchor < 3; ++anchor) {
      EXPECT_FLOAT_EQ(b[(size_t)(anchor * 7 + 0)], 0.f);
      EXPECT_FLOAT_EQ(b[(size_t)(anchor * 7 + 4)], (float)std::log(8 / std::pow(640 / s, 2)));
      EXPECT_FLOAT_EQ(b[(size_t)(anchor * 7 + 5)], (float)std::log(0.6 / (2 - 0.99999)));
      EXPECT_FLOAT_EQ(b[(size_t)(anchor * 7 + 6)], (float)std::log(0.6 / (2 - 0.99999)));
    }
  }
  // Anchors listed large-to-small are reversed (check_anchor_order).
  Detect r(1, {{116, 90, 156, 198, 373, 326}, {10, 13, 16, 30, 33, 23}}, {4, 4}, nullptr);
  r.set_strides({8, 32});
  EXPECT_FLOAT_EQ(r.anchors.to_vector()[0], 10.f / 8);
}

TEST(LayerModule, StateDictNamesAndModes) {
  Rng rng(8);
  C3 c3(4, 8, 2, true, &rng);
  const NamedTensorRefs sd = c3.state_dict("model.2.");
  ASSERT_EQ(sd.size(), 6u * 7);
  EXPECT_EQ(sd[0].first, "model.2.cv1.conv.weight");
  EXPECT_EQ(sd[5].first, "model.2.cv1.bn.num_batches_tracked");
  EXPECT_EQ(sd[12].first, "model.2.cv3.conv.weight");
  EXPECT_EQ(sd[18].first, "model.2.m.0.cv1.conv.weight");
  EXPECT_EQ(sd[36].first, "model.2.m.1.cv2.conv.weight");
  EXPECT_EQ(c3.named_parameters().size(), 3u * 7);
  EXPECT_EQ(c3.named_buffers().size(), 3u * 7);
  c3.eval();
  EXPECT_FALSE(c3.m[1].cv2.training());
  c3.train();
  EXPECT_TRUE(c3.m[1].cv2.training());
}

}  // namespace
}  // namespace yp
