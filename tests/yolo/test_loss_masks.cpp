// Loss masks (yolo/loss.h "Masks"): ignore regions give exactly zero objectness gradient, hard negatives weight the
// background BCE and claim no positives, per-image weights scale every term, and no masks leave the loss untouched.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/gradcheck.h"
#include "yolo/loss.h"

using namespace yp;
using namespace yp::yolo;

namespace {

// One 8 x 8 level (stride 8 of a 64 px input), one anchor of 2 x 2 cells, nc = 1: 6 logits per cell.
struct OneLevel {
  std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<double>{2.0, 2.0}, {1, 2})};
  std::vector<Tensor> pred;
  LossConfig config;
  explicit OneLevel(int batch, uint64_t seed) {
    Rng rng(seed);
    pred = {test::rand_param({batch, 1, 8, 8, 6}, rng)};
    config.nc = 1;
    config.image_size = 64;
    config.balance = {1.0};
  }
  std::vector<double> obj_grad(const std::vector<Target>& targets, const LossMasks& masks) {
    for (Tensor& p : pred) p.zero_grad();
    yolo_loss(pred, anchors, targets, config, masks).total.backward();
    std::vector<double> g;
    const Tensor& grad = pred[0].grad();
    for (int64_t i = 4; i < grad.numel(); i += 6) g.push_back(grad.at(i));
    return g;  // (image, gj, gi) order
  }
};

bool cell_in(const MaskRegion& r, int gi, int gj) {
  const double dx = (gi + 0.5) / 8 - r.cx, dy = (gj + 0.5) / 8 - r.cy;
  return dx * dx + dy * dy <= r.r * r.r;
}

}  // namespace

TEST(LossMasks, EmptyMasksAndUnitWeightsAreThePlainLossBitForBit) {
  OneLevel t(2, 11);
  const std::vector<Target> targets = {{0, 0, 0.3, 0.4, 0.25, 0.25}, {1, 0, 0.6, 0.7, 0.2, 0.3}};
  const double plain = yolo_loss(t.pred, t.anchors, targets, t.config).total.item();
  const std::vector<double> g_plain = t.obj_grad(targets, {});
  LossMasks ones;
  ones.image_weight = {1.0, 1.0};
  EXPECT_EQ(yolo_loss(t.pred, t.anchors, targets, t.config, ones).total.item(), plain);
  EXPECT_EQ(t.obj_grad(targets, ones), g_plain);
}

TEST(LossMasks, IgnoredCellsGetExactlyZeroObjectnessGradient) {
  OneLevel t(1, 12);
  const std::vector<Target> targets = {{0, 0, 0.2, 0.2, 0.25, 0.25}};
  LossMasks m;
  m.regions = {{0, MaskKind::Ignore, 0.65, 0.6, 0.2}};
  const std::vector<double> g = t.obj_grad(targets, m), g_plain = t.obj_grad(targets, {});
  int inside = 0;
  for (int gj = 0; gj < 8; ++gj)
    for (int gi = 0; gi < 8; ++gi) {
      const double v = g[(size_t)(gj * 8 + gi)], v0 = g_plain[(size_t)(gj * 8 + gi)];
      if (cell_in(m.regions[0], gi, gj)) {
        ++inside;
        EXPECT_EQ(v, 0.0) << gi << "," << gj;
        EXPECT_NE(v0, 0.0);
      } else {
        EXPECT_EQ(v, v0) << gi << "," << gj;  // the mean is over all cells: the others are untouched
      }
    }
  EXPECT_EQ(inside, 8);  // cell centres within 1.6 cells of (5.2, 4.8), counted by hand
  // The loss does not see an ignored logit at all.
  double* z = t.pred[0].data<double>();
  const int64_t cell = 5 * 8 + 5;  // (5, 5) is inside
  ASSERT_TRUE(cell_in(m.regions[0], 5, 5));
  const double before = yolo_loss(t.pred, t.anchors, targets, t.config, m).total.item();
  z[cell * 6 + 4] += 3.0;
  EXPECT_EQ(yolo_loss(t.pred, t.anchors, targets, t.config, m).total.item(), before);
}

TEST(LossMasks, HardNegativeCellsCarryTheWeightAndThePositivesStayPositive) {
  OneLevel t(1, 13);
  t.config.hard_negative = 2.0;
  // A target at (0.3, 0.3) and a hard negative beside it at (0.62, 0.3), radius 1.5 cells.
  const std::vector<Target> targets = {{0, 0, 0.3, 0.3, 0.25, 0.25}};
  LossMasks m;
  m.regions = {{0, MaskKind::HardNegative, 0.62, 0.3, 1.5 / 8}};
  const auto assigned = build_targets({t.pred[0].shape()}, t.anchors, targets, 4.0);
  const auto kept = drop_hard_negative_assignments(assigned, {t.pred[0].shape()}, targets, m.regions);
  ASSERT_EQ(kept.size(), assigned.size());  // it is too far to claim any of the target's cells
  std::vector<bool> positive(64, false);
  for (const Assignment& a : kept) positive[(size_t)(a.gj * 8 + a.gi)] = true;
  const std::vector<double> g = t.obj_grad(targets, m), g_plain = t.obj_grad(targets, {});
  int weighted = 0;
  for (int gj = 0; gj < 8; ++gj)
    for (int gi = 0; gi < 8; ++gi) {
      const size_t k = (size_t)(gj * 8 + gi);
      if (cell_in(m.regions[0], gi, gj) && !positive[k]) {
        ++weighted;
        EXPECT_DOUBLE_EQ(g[k], 2.0 * g_plain[k]) << gi << "," << gj;  // background BCE, twice
      } else {
        EXPECT_DOUBLE_EQ(g[k], g_plain[k]) << gi << "," << gj;
      }
    }
  EXPECT_EQ(weighted, 7);  // cell centres within 1.5 cells of (4.96, 2.4), counted by hand
}

TEST(LossMasks, AHardNegativeClaimsTheNeighbourCellsNearerToIt) {
  // 8 x 8, anchor 2 x 2 cells; target centre (3.3, 5.7) cells: own cell (3,5), left (2,5), lower (3,6).
  const std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<double>{2.0, 2.0}, {1, 2})};
  const std::vector<Target> targets = {{0, 0, 3.3 / 8, 5.7 / 8, 2.0 / 8, 2.0 / 8}};
  const Shape s{1, 1, 8, 8, 6};
  const auto a = build_targets({s}, anchors, targets, 4.0);
  ASSERT_EQ(a.size(), 3u);
  // A hard negative centred on the left neighbour (2.5, 5.5): it claims that cell, not the target's own.
  const std::vector<MaskRegion> hn = {{0, MaskKind::HardNegative, 2.5 / 8, 5.5 / 8, 1.0 / 8}};
  const auto kept = drop_hard_negative_assignments(a, {s}, targets, hn);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].gi, 3);
  EXPECT_EQ(kept[1].gj, 6);
  // Another image's hard negative and an ignore region claim nothing.
  const std::vector<MaskRegion> other = {{1, MaskKind::HardNegative, 2.5 / 8, 5.5 / 8, 1.0 / 8},
                                         {0, MaskKind::Ignore, 2.5 / 8, 5.5 / 8, 1.0 / 8}};
  EXPECT_EQ(drop_hard_negative_assignments(a, {s}, targets, other).size(), 3u);
}

TEST(LossMasks, MaskedObjectnessGradientMatchesFiniteDifferences) {
  OneLevel t(2, 14);
  const std::vector<Target> targets = {{0, 0, 0.3, 0.4, 0.25, 0.25}, {1, 0, 0.6, 0.7, 0.2, 0.3}};
  LossMasks m;
  m.regions = {{0, MaskKind::Ignore, 0.7, 0.3, 0.2}, {1, MaskKind::HardNegative, 0.25, 0.25, 0.2}};
  m.image_weight = {0.5, 3.0};
  const std::vector<double> g = t.obj_grad(targets, m);
  const double h = 1e-6;
  double* z = t.pred[0].data<double>();
  for (int64_t i = 0; i < 128; ++i) {  // only objectness logits: the (detached) CIoU targets stay fixed
    const double orig = z[i * 6 + 4];
    z[i * 6 + 4] = orig + h;
    const double lp = yolo_loss(t.pred, t.anchors, targets, t.config, m).total.item();
    z[i * 6 + 4] = orig - h;
    const double lm = yolo_loss(t.pred, t.anchors, targets, t.config, m).total.item();
    z[i * 6 + 4] = orig;
    ASSERT_NEAR(g[(size_t)i], (lp - lm) / (2 * h), 1e-7) << "obj logit of cell " << i;
  }
}

TEST(LossMasks, ImageWeightsScaleBoxAndClassTermsWithCorrectGradients) {
  Rng rng(15);
  LossConfig c;
  c.nc = 2;
  c.image_size = 64;
  c.obj = 0.0;  // box and class terms only: finite differences then see no detached target move
  c.ciou_alpha_grad = true;
  const std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<double>{2.0, 2.0}, {1, 2})};
  const std::vector<Target> targets = {{0, 1, 0.3, 0.4, 0.25, 0.25}, {1, 0, 0.6, 0.7, 0.2, 0.3}};
  std::vector<Tensor> pred = {test::rand_param({2, 1, 8, 8, 7}, rng)};
  LossMasks m;
  m.image_weight = {0.25, 2.0};
  EXPECT_TRUE(test::gradcheck([&](const std::vector<Tensor>& p) { return yolo_loss(p, anchors, targets, c, m).total; },
                              pred, 1e-7, 1e-5));
  // Weights (w, w) scale the loss by w; (1, 0) is the loss of image 0 alone.
  LossMasks twice;
  twice.image_weight = {2.0, 2.0};
  const double plain = yolo_loss(pred, anchors, targets, c).total.item();
  EXPECT_NEAR(yolo_loss(pred, anchors, targets, c, twice).total.item(), 2 * plain, 1e-12);
  LossMasks first;
  first.image_weight = {1.0, 0.0};
  pred[0].zero_grad();
  yolo_loss(pred, anchors, targets, c, first).total.backward();
  const Tensor& g = pred[0].grad();
  for (int64_t i = 8 * 8 * 7; i < g.numel(); ++i) ASSERT_EQ(g.at(i), 0.0) << i;
}

TEST(LossMasks, BadMasksAreClearErrors) {
  OneLevel t(1, 16);
  LossMasks m;
  m.image_weight = {1.0, 1.0};
  EXPECT_THROW(yolo_loss(t.pred, t.anchors, {}, t.config, m), Error);
  LossMasks r;
  r.regions = {{3, MaskKind::Ignore, 0.5, 0.5, 0.1}};
  EXPECT_THROW(yolo_loss(t.pred, t.anchors, {}, t.config, r), Error);
}
