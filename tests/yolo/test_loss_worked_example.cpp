// The numbers of docs/loss.md's worked example, pinned: yolov5n's anchors in grid units, one 40 x 48-px box at
// (266, 455) of a 640 x 640 input kept by six anchors on three levels (18 positives), the cell clamp at the
// image edge, the permute from Detect's (N, na*no, H, W) to the loss's (N, na, H, W, no), and the CIoU partial
// derivatives written out by hand (as the page derives them) against finite differences and against the
// gradient yolo_loss forms with dual numbers. Each test prints what the page shows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "tensor/random.h"
#include "yolo/loss.h"
#include "yolo/model.h"
#include "yolo/yaml_config.h"

using namespace yp;
using namespace yp::yolo;

namespace {

std::vector<Tensor> yolov5n_anchors() {
  ModelOptions o;
  o.random_init = false;  // only the anchors are read
  return Model(builtin_yolo_config("yolov5n"), o).anchors();
}

// The shapes of the three prediction levels of yolov5n at 640 x 640 (N = 1, na = 3, no = 85).
const std::vector<Shape> kShapes640 = {{1, 3, 80, 80, 85}, {1, 3, 40, 40, 85}, {1, 3, 20, 20, 85}};

// The example box: centre (266, 455) px, 40 x 48 px, normalised to the 640-px input.
const Target kBox = {0, 0, 266.0 / 640, 455.0 / 640, 40.0 / 640, 48.0 / 640};

TEST(LossWorkedExample, Yolov5nAnchorsInGridUnits) {
  const auto anchors = yolov5n_anchors();
  const double expected[3][6] = {{1.25, 1.625, 2.0, 3.75, 4.125, 2.875},
                                 {1.875, 3.8125, 3.875, 2.8125, 3.6875, 7.4375},
                                 {3.625, 2.8125, 4.875, 6.1875, 11.65625, 10.1875}};
  ASSERT_EQ(anchors.size(), 3u);
  for (int l = 0; l < 3; ++l) {
    std::printf("level %d:", l);
    for (int k = 0; k < 6; ++k) {
      EXPECT_EQ(anchors[l].at(k), expected[l][k]) << "level " << l << " value " << k;
      std::printf(k % 2 ? "x%g" : "  %g", anchors[l].at(k));
    }
    std::printf("\n");
  }
}

// The ratio test, then the cells: six of nine anchors keep the box, each in its own cell and two neighbours.
TEST(LossWorkedExample, OneBoxKeptBySixAnchorsInEighteenCells) {
  const auto a = build_targets(kShapes640, yolov5n_anchors(), {kBox}, 4.0);
  struct Row {
    int level, anchor, gi, gj;
    double tx, ty;
  };
  // YOLOv5's order: per level, offset kind (own, left, up, right, down), then anchor.
  const Row expected[] = {
      {0, 1, 33, 56, 0.25, 0.875},   {0, 2, 33, 56, 0.25, 0.875},     // P3: own cell
      {0, 1, 32, 56, 1.25, 0.875},   {0, 2, 32, 56, 1.25, 0.875},     //     left
      {0, 1, 33, 57, 0.25, -0.125},  {0, 2, 33, 57, 0.25, -0.125},    //     down
      {1, 0, 16, 28, 0.625, 0.4375}, {1, 1, 16, 28, 0.625, 0.4375}, {1, 2, 16, 28, 0.625, 0.4375},  // P4: own
      {1, 0, 16, 27, 0.625, 1.4375}, {1, 1, 16, 27, 0.625, 1.4375}, {1, 2, 16, 27, 0.625, 1.4375},  //     up
      {1, 0, 17, 28, -0.375, 0.4375}, {1, 1, 17, 28, -0.375, 0.4375}, {1, 2, 17, 28, -0.375, 0.4375},  // right
      {2, 0, 8, 14, 0.3125, 0.21875}, {2, 0, 7, 14, 1.3125, 0.21875}, {2, 0, 8, 13, 0.3125, 1.21875},  // P5
  };
  const double wh[3][2] = {{5, 6}, {2.5, 3}, {1.25, 1.5}};
  ASSERT_EQ(a.size(), std::size(expected));
  std::printf("level anchor  cell (gi,gj)   x_t      y_t      w_t    h_t\n");
  for (size_t i = 0; i < a.size(); ++i) {
    const Row& e = expected[i];
    std::printf("  P%d     %d     (%2d,%2d)   %7.4f  %7.4f  %5.3g  %5.3g\n", a[i].level + 3, a[i].anchor, a[i].gi, a[i].gj,
                a[i].tx, a[i].ty, a[i].tw, a[i].th);
    EXPECT_EQ(a[i].level, e.level) << "row " << i;
    EXPECT_EQ(a[i].anchor, e.anchor) << "row " << i;
    EXPECT_EQ(a[i].gi, e.gi) << "row " << i;
    EXPECT_EQ(a[i].gj, e.gj) << "row " << i;
    EXPECT_NEAR(a[i].tx, e.tx, 1e-12) << "row " << i;
    EXPECT_NEAR(a[i].ty, e.ty, 1e-12) << "row " << i;
    EXPECT_NEAR(a[i].tw, wh[e.level][0], 1e-12) << "row " << i;
    EXPECT_NEAR(a[i].th, wh[e.level][1], 1e-12) << "row " << i;
  }
  // The rejected anchors: P3 anchor 0 at a ratio of exactly 4 (the test is strict), P5 anchors 1 and 2.
  const std::vector<Tensor> p3_anchor0 = {Tensor::from_vector(std::vector<double>{1.25, 1.625}, {1, 2})};
  EXPECT_TRUE(build_targets({{1, 1, 80, 80, 85}}, p3_anchor0, {kBox}, 4.0).empty());
  EXPECT_EQ(build_targets({{1, 1, 80, 80, 85}}, p3_anchor0, {kBox}, 4.0001).size(), 3u);
}

// A centre on the right edge (cx = 1, gx = W = 8): the cell index is clamped into the grid (gi 8 -> 7) and, as in
// YOLOv5 (whose clamp_ works in place on gij before tbox = gxy - gij), the box target is measured from the clamped
// cell: tx = 8 - 7 = 1. frac(gx) = 0 < 0.5 and gx > 1, so the left neighbour (gi = 7, tx = 1) is used too: the same
// cell gets two identical positives. (Measured from the unclamped cell the first would be tx = 0.)
TEST(LossWorkedExample, EdgeCentreClampsTheCellAndItsBoxTarget) {
  const std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<double>{2.0, 2.0}, {1, 2})};
  const auto a = build_targets({{1, 1, 8, 8, 6}}, anchors, {{0, 0, 1.0, 3.5 / 8, 2.0 / 8, 2.0 / 8}}, 4.0);
  ASSERT_EQ(a.size(), 2u);
  for (const auto& p : a) std::printf("gx = 8 on an 8-wide grid: cell gi = %d, box target x_t = %g\n", p.gi, p.tx);
  EXPECT_EQ(a[0].gi, 7);
  EXPECT_EQ(a[0].tx, 1.0);
  EXPECT_EQ(a[1].gi, 7);
  EXPECT_EQ(a[1].tx, 1.0);
}

// loss_layout: pred[n, a, y, x, k] = raw[n, a * no + k, y, x] (Detect's view(N, na, no, H, W).permute(0, 1, 3, 4, 2)).
TEST(LossWorkedExample, LossLayoutIsDetectsViewThenPermute) {
  Rng rng(17);
  const int64_t N = 2, na = 3, no = 7, H = 3, W = 5;
  const Tensor raw = randn({N, na * no, H, W}, rng);
  const Tensor pred = loss_layout({raw}, (int)na)[0];
  ASSERT_EQ(pred.shape(), (Shape{N, na, H, W, no}));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t a = 0; a < na; ++a)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
          for (int64_t k = 0; k < no; ++k)
            ASSERT_EQ(pred.at((((n * na + a) * H + y) * W + x) * no + k), raw.at(((n * na * no + a * no + k) * H + y) * W + x))
                << "n " << n << " a " << a << " y " << y << " x " << x << " k " << k;
}

// ---- CIoU's partial derivatives, written out as docs/loss.md derives them ------------------------------------------
struct Partials {
  double d[4];  // d/dx, d/dy, d/dw, d/dh of the prediction (x, y, w, h)
};

// q = (x, y, w, h) of the prediction, t = the target's; alpha_grad adds the term of alpha's own derivative.
Partials ciou_partials_by_hand(const double q[4], const double t[4], bool alpha_grad) {
  const double eps = 1e-7;
  const double x = q[0], y = q[1], w = q[2], h = q[3];
  // Edges of both boxes; per axis: overlap (min of right edges - max of left edges) and enclosure.
  const double p_lo[2] = {x - w / 2, y - h / 2}, p_hi[2] = {x + w / 2, y + h / 2};
  const double t_lo[2] = {t[0] - t[2] / 2, t[1] - t[3] / 2}, t_hi[2] = {t[0] + t[2] / 2, t[1] + t[3] / 2};
  double ov[2], c[2], dov_dc[2], dov_ds[2], dc_dc[2], dc_ds[2];  // d/d(centre) and d/d(size) per axis
  for (int k = 0; k < 2; ++k) {
    const bool hi_min = p_hi[k] <= t_hi[k], lo_max = p_lo[k] >= t_lo[k];  // is the prediction's edge the min / max?
    ov[k] = std::max(std::min(p_hi[k], t_hi[k]) - std::max(p_lo[k], t_lo[k]), 0.0);
    dov_dc[k] = ov[k] > 0 ? (hi_min ? 1.0 : 0.0) - (lo_max ? 1.0 : 0.0) : 0.0;
    dov_ds[k] = ov[k] > 0 ? 0.5 * (hi_min ? 1.0 : 0.0) + 0.5 * (lo_max ? 1.0 : 0.0) : 0.0;
    const bool hi_max = p_hi[k] >= t_hi[k], lo_min = p_lo[k] <= t_lo[k];
    c[k] = std::max(p_hi[k], t_hi[k]) - std::min(p_lo[k], t_lo[k]);
    dc_dc[k] = (hi_max ? 1.0 : 0.0) - (lo_min ? 1.0 : 0.0);
    dc_ds[k] = 0.5 * (hi_max ? 1.0 : 0.0) + 0.5 * (lo_min ? 1.0 : 0.0);
  }
  const double inter = ov[0] * ov[1];
  const double d_inter[4] = {dov_dc[0] * ov[1], dov_dc[1] * ov[0], dov_ds[0] * ov[1], dov_ds[1] * ov[0]};
  const double d_area[4] = {0, 0, h, w};
  const double U = w * h + t[2] * t[3] - inter + eps;
  const double iou = inter / U;
  const double c2 = c[0] * c[0] + c[1] * c[1] + eps;
  const double d_c2[4] = {2 * c[0] * dc_dc[0], 2 * c[1] * dc_dc[1], 2 * c[0] * dc_ds[0], 2 * c[1] * dc_ds[1]};
  const double rho2 = (t[0] - x) * (t[0] - x) + (t[1] - y) * (t[1] - y);
  const double d_rho2[4] = {-2 * (t[0] - x), -2 * (t[1] - y), 0, 0};
  const double delta = std::atan(t[2] / t[3]) - std::atan(w / h);
  const double v = 4 / (M_PI * M_PI) * delta * delta;
  const double d_v[4] = {0, 0, -8 / (M_PI * M_PI) * delta * h / (w * w + h * h), 8 / (M_PI * M_PI) * delta * w / (w * w + h * h)};
  const double D = v - iou + 1 + eps, alpha = v / D;
  Partials p;
  for (int i = 0; i < 4; ++i) {
    const double d_iou = (d_inter[i] * (U + inter) - inter * d_area[i]) / (U * U);
    const double d_penalty = (d_rho2[i] * c2 - rho2 * d_c2[i]) / (c2 * c2);
    const double d_alpha = (d_v[i] * (1 - iou + eps) + v * d_iou) / (D * D);
    p.d[i] = d_iou - d_penalty - alpha * d_v[i] - (alpha_grad ? v * d_alpha : 0.0);
  }
  return p;
}

// Prediction boxes that overlap the target from each side, contain it, sit inside it, and miss it.
const double kTarget[4] = {1.3, 0.9, 2.0, 1.5};
const double kPredictions[][4] = {{1.0, 1.1, 1.6, 2.2}, {1.9, 0.4, 2.7, 1.1}, {1.35, 0.95, 3.1, 2.4},
                                  {1.25, 0.85, 0.9, 0.7}, {4.2, 3.9, 1.0, 1.3}};

TEST(CiouPartials, WrittenOutMatchFiniteDifferences) {
  for (const auto& q : kPredictions) {
    const Partials p = ciou_partials_by_hand(q, kTarget, true);
    // ciou() treats alpha as YOLOv5 does only for the gradient; its value is the formula, so finite differences of
    // it see alpha move: compare with the alpha_grad form.
    for (int i = 0; i < 4; ++i) {
      double qp[4], qm[4];
      std::copy(q, q + 4, qp);
      std::copy(q, q + 4, qm);
      const double step = 1e-6;
      qp[i] += step;
      qm[i] -= step;
      const double fd = (ciou(qp[0], qp[1], qp[2], qp[3], kTarget[0], kTarget[1], kTarget[2], kTarget[3]) -
                         ciou(qm[0], qm[1], qm[2], qm[3], kTarget[0], kTarget[1], kTarget[2], kTarget[3])) /
                        (2 * step);
      EXPECT_NEAR(p.d[i], fd, 1e-7) << "prediction (" << q[0] << ", " << q[1] << ", " << q[2] << ", " << q[3]
                                    << "), partial " << i;
    }
  }
  const Partials p = ciou_partials_by_hand(kPredictions[0], kTarget, false);
  std::printf("prediction (1.0, 1.1, 1.6, 2.2), target (1.3, 0.9, 2.0, 1.5), alpha constant:\n"
              "  dCIoU/dx = %.6f  dCIoU/dy = %.6f  dCIoU/dw = %.6f  dCIoU/dh = %.6f\n",
              p.d[0], p.d[1], p.d[2], p.d[3]);
  const double printed[4] = {0.594877, -0.043243, 0.005001, -0.194470};  // docs/loss.md shows these
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(p.d[i], printed[i], 1e-6) << "partial " << i;
}

// The same partials with alpha constant, through the decode's chain rule, are the gradient yolo_loss forms with
// dual numbers: one level, one anchor, one positive (a centre at .5 of its cell has no neighbour), nc = 1.
TEST(CiouPartials, WrittenOutAreTheLossGradient) {
  const int64_t H = 8, W = 8, no = 6;
  const double anchor[2] = {1.5, 2.0};
  const Target target = {0, 0, 3.5 / W, 4.5 / H, 2.0 / W, 1.5 / H};  // grid units: (3.5, 4.5), 2 x 1.5
  Rng rng(5);
  const Tensor logits = randn({1, 1, H, W, no}, rng, DType::F64);
  Tensor pred = logits.clone();
  pred.set_requires_grad(true);
  LossConfig config;
  config.nc = 1;
  const auto result = yolo_loss({pred}, {Tensor::from_vector(std::vector<double>{anchor[0], anchor[1]}, {1, 2})},
                                {target}, config);
  ASSERT_EQ(result.positives, 1);
  result.total.backward();

  const int64_t cell = 4 * W + 3;  // (gj, gi) = (4, 3)
  double s[4], q[4];
  for (int k = 0; k < 4; ++k) s[k] = 1 / (1 + std::exp(-logits.at(cell * no + k)));
  q[0] = 2 * s[0] - 0.5;
  q[1] = 2 * s[1] - 0.5;
  q[2] = 4 * s[2] * s[2] * anchor[0];
  q[3] = 4 * s[3] * s[3] * anchor[1];
  const double t[4] = {0.5, 0.5, 2.0, 1.5};  // the box target: offset in the cell, size in grid units
  const Partials p = ciou_partials_by_hand(q, t, false);
  const double chain[4] = {2 * s[0] * (1 - s[0]), 2 * s[1] * (1 - s[1]), 8 * s[2] * s[2] * (1 - s[2]) * anchor[0],
                           8 * s[3] * s[3] * (1 - s[3]) * anchor[1]};
  const double dloss_dciou = -config.box_gain(1) * 1 / 1.0;  // -box_gain * batch / positives
  for (int k = 0; k < 4; ++k)
    EXPECT_NEAR(pred.grad().at(cell * no + k), dloss_dciou * p.d[k] * chain[k], 1e-12) << "logit " << k;
}

}  // namespace
