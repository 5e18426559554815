// Test-time augmentation (yolo/tta.h): the views move pixels and undo_view moves boxes back exactly, weighted boxes
// fusion against hand-computed fusions, and detect_tta end to end: with a network that sees every view alike it
// changes nothing; with one that does not, a symmetric input still gets symmetric answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "util/box.h"

#include "yolo/tta.h"

namespace yp::yolo {
namespace {

// Decoded predictions (1, n, 6) of one class for the bright pixels (> 0.9) of a (1, 1, H, W) input: a 6-px box
// centred on each, scored by `score(row, col, h, w)`.
template <class Score>
ForwardFn bright_pixels(Score score) {
  return [score](const Tensor& x) {
    const int64_t h = x.size(2), w = x.size(3);
    const std::vector<float> v = x.to_vector();
    std::vector<float> rows;
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j)
        if (v[(size_t)(i * w + j)] > 0.9f)
          rows.insert(rows.end(), {j + 0.5f, i + 0.5f, 6.f, 6.f, (float)score(i, j, h, w), 1.f});
    const int64_t n = (int64_t)rows.size() / 6;
    if (n == 0) rows.assign(6, 0.f);
    return Tensor::from_vector(rows, {1, std::max<int64_t>(n, 1), 6});
  };
}

Tensor input_with(int64_t h, int64_t w, const std::vector<std::pair<int, int>>& bright) {
  std::vector<float> v((size_t)(h * w), 0.f);
  for (auto [r, c] : bright) v[(size_t)(r * w + c)] = 1.f;
  return Tensor::from_vector(v, {1, 1, h, w});
}

TEST(Tta, ViewsMovePixelsAndUndoViewMovesTheirBoxesBack) {
  for (auto [h, w] : {std::pair<int64_t, int64_t>{6, 6}, {4, 7}}) {
    const auto views = tta_views(h, w);
    EXPECT_EQ(views.size(), h == w ? 8u : 4u);
    for (const TtaView& v : views) {
      const Tensor viewed = view_input(input_with(h, w, {{1, 2}}), v);
      const std::vector<float> p = viewed.to_vector();
      const auto at = std::find(p.begin(), p.end(), 1.f) - p.begin();
      const int64_t vh = viewed.size(2), vw = viewed.size(3), i = at / vw, j = at % vw;
      Detection d;  // the bright pixel's box in the view
      d.x1 = (float)j, d.y1 = (float)i, d.x2 = (float)j + 1, d.y2 = (float)i + 1;
      const Detection back = undo_view(d, v, vh, vw);
      EXPECT_EQ(back.x1, 2.f) << v.transpose << v.flip_x << v.flip_y;
      EXPECT_EQ(back.y1, 1.f);
      EXPECT_EQ(back.x2, 3.f);
      EXPECT_EQ(back.y2, 2.f);
    }
  }
}

Detection box(float x1, float y1, float x2, float y2, float conf, int cls = 0) {
  Detection d;
  d.x1 = x1, d.y1 = y1, d.x2 = x2, d.y2 = y2, d.conf = conf, d.cls = cls;
  return d;
}

TEST(Tta, WeightedBoxesFusionAveragesByConfidenceAndCountsViews) {
  // Two views see one particle (0.8 at x 0..10, 0.4 at x 2..12): corners weighted 2:1, confidence the mean 0.6.
  // Only one of the two sees a second object at 0.5: 0.25. A third at 0.015 falls below the floor 0.01 when halved.
  const auto fused = weighted_boxes_fusion(
      {{box(0, 0, 10, 10, 0.8f), box(50, 50, 60, 60, 0.5f), box(90, 90, 96, 96, 0.015f)}, {box(2, 0, 12, 10, 0.4f)}},
      0.55, false, 0.01f, 100);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_NEAR(fused[0].x1, (0.8 * 0 + 0.4 * 2) / 1.2, 1e-6);
  EXPECT_NEAR(fused[0].x2, (0.8 * 10 + 0.4 * 12) / 1.2, 1e-6);
  EXPECT_NEAR(fused[0].conf, 0.6, 1e-6);
  EXPECT_NEAR(fused[1].conf, 0.25, 1e-6);
  // Classes apart unless agnostic; an agnostic cluster takes its best member's class.
  const std::vector<std::vector<Detection>> two = {{box(0, 0, 10, 10, 0.8f, 1)}, {box(0, 0, 10, 10, 0.6f, 0)}};
  EXPECT_EQ(weighted_boxes_fusion(two, 0.55, false, 0.01f, 100).size(), 2u);
  const auto agnostic = weighted_boxes_fusion(two, 0.55, true, 0.01f, 100);
  ASSERT_EQ(agnostic.size(), 1u);
  EXPECT_EQ(agnostic[0].cls, 1);
  EXPECT_EQ(weighted_boxes_fusion(two, 0.55, false, 0.01f, 1).size(), 1u);  // max_det
}

// The plain form of the fusion - every box against every cluster so far - for the grid's answer to be checked on.
std::vector<Detection> plain_fusion(const std::vector<std::vector<Detection>>& lists, double iou_thres) {
  std::vector<Detection> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  std::stable_sort(all.begin(), all.end(), [](const Detection& a, const Detection& b) { return a.conf > b.conf; });
  std::vector<std::vector<Detection>> members;
  std::vector<Detection> fused;
  for (const Detection& d : all) {
    size_t k = 0;
    while (k < fused.size() && !(box_iou(Box<double>{fused[k].x1, fused[k].y1, fused[k].x2, fused[k].y2},
                                         Box<double>{d.x1, d.y1, d.x2, d.y2}) > iou_thres))
      ++k;
    if (k == fused.size()) fused.push_back(d), members.emplace_back();
    members[k].push_back(d);
    double s = 0, x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    for (const Detection& m : members[k]) s += m.conf, x1 += m.conf * m.x1, y1 += m.conf * m.y1, x2 += m.conf * m.x2, y2 += m.conf * m.y2;
    fused[k].x1 = (float)(x1 / s), fused[k].y1 = (float)(y1 / s), fused[k].x2 = (float)(x2 / s), fused[k].y2 = (float)(y2 / s);
    fused[k].conf = (float)(s / members[k].size() * std::min<double>(members[k].size(), lists.size()) / lists.size());
  }
  std::stable_sort(fused.begin(), fused.end(), [](const Detection& a, const Detection& b) { return a.conf > b.conf; });
  return fused;
}

// Crowded scenes (particles closer than a box, sizes from 4 to 40 px, 8 jittered views): the grid finds exactly
// the clusters the plain scan finds.
TEST(Tta, WeightedBoxesFusionMatchesThePlainScan) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 300), size(4, 40), jitter(-3, 3), conf(0.02f, 1);
  for (int scene = 0; scene < 5; ++scene) {
    std::vector<Detection> particles;
    for (int k = 0; k < 400; ++k) {
      const float x = pos(rng), y = pos(rng), s = size(rng);
      particles.push_back(box(x, y, x + s, y + s, 0));
    }
    std::vector<std::vector<Detection>> lists(8);
    for (auto& l : lists)
      for (const Detection& p : particles)
        if (conf(rng) > 0.3f) l.push_back(box(p.x1 + jitter(rng), p.y1 + jitter(rng), p.x2 + jitter(rng), p.y2 + jitter(rng), conf(rng)));
    const std::vector<Detection> want = plain_fusion(lists, 0.55),
                                 got = weighted_boxes_fusion(lists, 0.55, true, 0.f, 100000);
    ASSERT_EQ(got.size(), want.size()) << scene;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_NEAR(got[k].x1, want[k].x1, 1e-3) << scene << " " << k;
      EXPECT_NEAR(got[k].y2, want[k].y2, 1e-3) << scene << " " << k;
      EXPECT_NEAR(got[k].conf, want[k].conf, 1e-6) << scene << " " << k;
    }
  }
}

NmsOptions floor_nms() {
  NmsOptions o;
  o.conf_thres = 0.01f;
  o.agnostic = true;
  return o;
}

// A network that finds the same thing in every view (its answer moves with the picture): TTA gives its answer.
TEST(Tta, ANetworkThatSeesEveryViewAlikeIsUnchanged) {
  const ForwardFn f = bright_pixels([](int64_t, int64_t, int64_t, int64_t) { return 0.7; });
  const Tensor x = input_with(32, 32, {{3, 5}, {20, 9}, {28, 30}});
  std::vector<Detection> plain = non_max_suppression(f(x), floor_nms())[0], tta = detect_tta(f, x, floor_nms());
  auto order = [](std::vector<Detection>& d) {
    std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) { return a.x1 < b.x1; });
  };
  order(plain), order(tta);
  ASSERT_EQ(tta.size(), plain.size());
  for (size_t k = 0; k < tta.size(); ++k) {
    EXPECT_NEAR(tta[k].x1, plain[k].x1, 1e-5);
    EXPECT_NEAR(tta[k].y1, plain[k].y1, 1e-5);
    EXPECT_NEAR(tta[k].x2, plain[k].x2, 1e-5);
    EXPECT_NEAR(tta[k].y2, plain[k].y2, 1e-5);
    EXPECT_NEAR(tta[k].conf, 0.7, 1e-6);
  }
}

// A network biased by position (it trusts the right of its input more) on an input with the square's symmetry
// (one particle in each corner): alone it scores the four corners differently; with TTA each corner is seen from
// every side, so all four get the same confidence, the mean of what the views said, and stay where they are.
TEST(Tta, ASymmetricInputGetsSymmetricAnswers) {
  const ForwardFn f = bright_pixels([](int64_t i, int64_t j, int64_t h, int64_t w) {
    return 0.2 + 0.6 * (double)j / (double)(w - 1) + 0.1 * (double)i / (double)(h - 1);
  });
  const int64_t n = 32;
  const Tensor x = input_with(n, n, {{4, 4}, {4, n - 5}, {n - 5, 4}, {n - 5, n - 5}});
  const std::vector<Detection> plain = non_max_suppression(f(x), floor_nms())[0];
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_GT(plain.front().conf - plain.back().conf, 0.5);
  const std::vector<Detection> tta = detect_tta(f, x, floor_nms());
  ASSERT_EQ(tta.size(), 4u);
  double mean = 0;  // each corner is seen once at each of the 8 places of its orbit: the mean over the 4 places
  for (const Detection& d : plain) mean += d.conf / 4;
  for (const Detection& d : tta) {
    EXPECT_NEAR(d.conf, mean, 1e-6);
    EXPECT_NEAR(d.x2 - d.x1, 6, 1e-5);
    const double cx = (d.x1 + d.x2) / 2, cy = (d.y1 + d.y2) / 2;
    EXPECT_TRUE(std::fabs(cx - 4.5) < 1e-4 || std::fabs(cx - (n - 4.5)) < 1e-4) << cx;
    EXPECT_TRUE(std::fabs(cy - 4.5) < 1e-4 || std::fabs(cy - (n - 4.5)) < 1e-4) << cy;
  }
}

}  // namespace
}  // namespace yp::yolo
