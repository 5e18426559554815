// The YOLOv5 loss: golden values from an independent NumPy transcription, finite-difference
// gradients, the target assignment and CIoU by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tests/support/gradcheck.h"
#include "tests/support/shared_data.h"
#include "yolo/loss.h"

using namespace yp;
using namespace yp::yolo;

namespace {

std::vector<Tensor> yolov5_anchors(DType dtype = DType::F64) {
  const double px[3][6] = {{10, 13, 16, 30, 33, 23}, {30, 61, 62, 45, 59, 119}, {116, 90, 156, 198, 373, 326}};
  const double stride[3] = {8, 16, 32};
  std::vector<Tensor> out;
  for (int l = 0; l < 3; ++l) {
    std::vector<double> v;
    for (int k = 0; k < 6; ++k) v.push_back(px[l][k] / stride[l]);
    out.push_back(Tensor::from_vector(v, {3, 2}).to(dtype));
  }
  return out;
}

struct GoldenCase {
  LossConfig config;
  std::vector<Tensor> anchors, pred;
  std::vector<Target> targets;
  double lbox, lobj, lcls, total;
};

GoldenCase read_golden() {
  const std::string path = test::source_path("tests/golden/loss/loss_case.bin");
  std::ifstream f(path, std::ios::binary);
  std::vector<double> v;
  double x;
  while (f.read(reinterpret_cast<char*>(&x), sizeof x)) v.push_back(x);
  size_t i = 0;
  auto next = [&] { return v.at(i++); };
  GoldenCase c;
  const int nl = (int)next(), N = (int)next(), na = (int)next();
  c.config.nc = (int)next();
  c.config.image_size = (int)next();
  const int nt = (int)next();
  std::vector<std::pair<int, int>> hw;
  for (int l = 0; l < nl; ++l) {
    const int h = (int)next(), w = (int)next();
    hw.push_back({h, w});
  }
  for (int l = 0; l < nl; ++l) {
    std::vector<double> a;
    for (int k = 0; k < na * 2; ++k) a.push_back(next());
    c.anchors.push_back(Tensor::from_vector(a, {na, 2}));
  }
  for (int t = 0; t < nt; ++t) {
    Target tg;
    tg.image = (int)next();
    tg.cls = (int)next();
    tg.cx = next();
    tg.cy = next();
    tg.w = next();
    tg.h = next();
    c.targets.push_back(tg);
  }
  for (int l = 0; l < nl; ++l) {
    const Shape s{N, na, hw[l].first, hw[l].second, 5 + c.config.nc};
    std::vector<double> p((size_t)shape_numel(s));
    for (auto& e : p) e = next();
    c.pred.push_back(Tensor::from_vector(p, s));
  }
  c.lbox = next();
  c.lobj = next();
  c.lcls = next();
  c.total = next();
  return c;
}

}  // namespace

TEST(YoloLoss, MatchesIndependentNumpyImplementation) {
  const GoldenCase g = read_golden();
  for (DType dt : {DType::F64, DType::F32}) {
    std::vector<Tensor> pred;
    for (const auto& p : g.pred) pred.push_back(p.to(dt));
    const LossResult r = yolo_loss(pred, g.anchors, g.targets, g.config);
    const double tol = dt == DType::F64 ? 1e-10 : 2e-6;
    EXPECT_NEAR(r.lbox, g.lbox, tol * 10);
    EXPECT_NEAR(r.lobj, g.lobj, tol * 10);
    EXPECT_NEAR(r.lcls, g.lcls, tol * 10);
    EXPECT_NEAR(r.total.item(), g.total, tol * 10) << dtype_name(dt);
  }
}

TEST(YoloLoss, BoxAndClassGradientsMatchFiniteDifferences) {
  // Objectness gain 0: the obj target depends on the (detached) CIoU, which finite differences would see.
  Rng rng(3);
  LossConfig c;
  c.nc = 3;
  c.image_size = 64;
  c.obj = 0.0;
  c.label_smoothing = 0.1;
  c.ciou_alpha_grad = true;
  const std::vector<Target> targets = {{0, 1, 0.4, 0.45, 0.3, 0.2}, {1, 2, 0.7, 0.3, 0.5, 0.6}, {1, 0, 0.2, 0.8, 0.1, 0.15}};
  std::vector<Tensor> pred;
  for (int s : {8, 16, 32}) pred.push_back(test::rand_param({2, 3, 64 / s, 64 / s, 8}, rng));
  const auto anchors = yolov5_anchors();
  EXPECT_TRUE(test::gradcheck(
      [&](const std::vector<Tensor>& p) { return yolo_loss(p, anchors, targets, c).total; }, pred, 1e-7, 1e-5));
  // YOLOv5's detached alpha gives another (smaller) gradient: the check above would fail with it.
  c.ciou_alpha_grad = false;
  EXPECT_FALSE(test::gradcheck(
      [&](const std::vector<Tensor>& p) { return yolo_loss(p, anchors, targets, c).total; }, pred, 1e-7, 1e-5));
}

TEST(YoloLoss, ObjectnessGradientMatchesFiniteDifferencesOnObjLogits) {
  Rng rng(4);
  LossConfig c;
  c.nc = 1;  // no class loss
  c.image_size = 64;
  const std::vector<Target> targets = {{0, 0, 0.5, 0.5, 0.4, 0.3}};
  std::vector<Tensor> pred;
  for (int s : {8, 16, 32}) pred.push_back(test::rand_param({1, 3, 64 / s, 64 / s, 6}, rng));
  const auto anchors = yolov5_anchors();
  const LossResult r = yolo_loss(pred, anchors, targets, c);
  r.total.backward();
  // Perturb only objectness logits (index 4 of each cell): the box logits and so tobj stay fixed.
  const double h = 1e-6;
  for (auto& p : pred) {
    double* d = p.data<double>();
    for (int64_t i = 4; i < p.numel(); i += 6) {
      const double orig = d[i];
      d[i] = orig + h;
      const double lp = yolo_loss(pred, anchors, targets, c).total.item();
      d[i] = orig - h;
      const double lm = yolo_loss(pred, anchors, targets, c).total.item();
      d[i] = orig;
      ASSERT_NEAR(p.grad().at(i), (lp - lm) / (2 * h), 1e-7) << "obj logit " << i;
    }
  }
}

TEST(YoloLoss, AssignmentUsesOwnCellAndTwoNearestNeighbours) {
  // One 8x8 level, one anchor of 2x2 cells; target centre at (3.3, 5.7) cells, size 2x2 cells.
  const std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<double>{2.0, 2.0}, {1, 2})};
  const std::vector<Target> targets = {{0, 0, 3.3 / 8, 5.7 / 8, 2.0 / 8, 2.0 / 8}};
  const auto a = build_targets({{1, 1, 8, 8, 6}}, anchors, targets, 4.0);
  ASSERT_EQ(a.size(), 3u);
  // Own cell (3,5); frac(x)=0.3 < 0.5 -> left neighbour (2,5); frac(8-5.7)=0.3 < 0.5 -> lower neighbour (3,6).
  EXPECT_EQ(a[0].gi, 3);
  EXPECT_EQ(a[0].gj, 5);
  EXPECT_EQ(a[1].gi, 2);
  EXPECT_EQ(a[1].gj, 5);
  EXPECT_EQ(a[2].gi, 3);
  EXPECT_EQ(a[2].gj, 6);
  EXPECT_NEAR(a[1].tx, 1.3, 1e-12);  // offset from the neighbour's corner: within (-0.5, 1.5)
  EXPECT_NEAR(a[2].ty, -0.3, 1e-12);
  // An anchor 5x too large rejects the target (ratio rule, anchor_t = 4).
  const std::vector<Tensor> big = {Tensor::from_vector(std::vector<double>{10.0, 10.0}, {1, 2})};
  EXPECT_TRUE(build_targets({{1, 1, 8, 8, 6}}, big, targets, 4.0).empty());
}

TEST(YoloLoss, CiouByHand) {
  // Identical boxes: CIoU = IoU = 1 (up to eps).
  EXPECT_NEAR(ciou(1, 1, 2, 2, 1, 1, 2, 2), 1.0, 1e-6);
  // Same shape, centres 1 apart in x, 2x2 boxes: IoU = 2/6, enclosing 3x2 -> c2 = 13, rho2 = 1, v = 0.
  EXPECT_NEAR(ciou(0, 0, 2, 2, 1, 0, 2, 2), 2.0 / 6.0 - 1.0 / 13.0, 1e-6);
}

TEST(YoloLoss, BadInputsAreClearErrors) {
  const auto anchors = yolov5_anchors();
  std::vector<Tensor> pred;
  for (int s : {8, 16, 32}) pred.push_back(Tensor::zeros({1, 3, 64 / s, 64 / s, 6}, DType::F64));
  LossConfig c;
  c.nc = 1;
  EXPECT_THROW(yolo_loss(pred, anchors, {{1, 0, 0.5, 0.5, 0.1, 0.1}}, c), Error);  // image index out of batch
  EXPECT_THROW(yolo_loss(pred, anchors, {{0, 3, 0.5, 0.5, 0.1, 0.1}}, c), Error);  // class out of range
  EXPECT_THROW(yolo_loss(pred, anchors, {{0, 0, NAN, 0.5, 0.1, 0.1}}, c), Error);
  c.nc = 2;  // 5 + nc != last dim
  EXPECT_THROW(yolo_loss(pred, anchors, {}, c), Error);
}
