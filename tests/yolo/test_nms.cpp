// test_nms.cpp: non_max_suppression on hand-made predictions (each YOLOv5 rule on its own), a random
// property check of the greedy suppression (also per class, as pick's merge across tiles uses it), and the golden
// bus.jpg detections from the decoded predictions of an independent implementation (../shared/golden/yolov5n_coco).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/support/shared_data.h"
#include "tests/yolo/coco_golden.h"
#include "yolo/input_pipeline.h"
#include "yolo/nms.h"

namespace yp::yolo {
namespace {

constexpr int kNc = 3;

// One prediction row: centre, size, objectness, class probabilities.
std::vector<float> row(float cx, float cy, float w, float h, float obj, std::vector<float> cls) {
  std::vector<float> r = {cx, cy, w, h, obj};
  cls.resize(kNc, 0.f);
  r.insert(r.end(), cls.begin(), cls.end());
  return r;
}

std::vector<Detection> run(const std::vector<std::vector<float>>& rows, const NmsOptions& o = {}) {
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return non_max_suppression(flat.data(), static_cast<int64_t>(rows.size()), 5 + kNc, o);
}

// What the caps cut is reported, never silent: 10 separate boxes scored 0.9, 0.85, ..., max_nms 6 (4 candidates cut,
// the best at 0.6), max_det 2 (4 of the 6 survivors cut, the best at 0.8).
TEST(Nms, CapsReportWhatTheyCut) {
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(row(20.f + 30 * i, 50, 20, 20, 0.9f - 0.05f * i, {1.f}));
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  NmsOptions o;
  o.max_nms = 6;
  o.max_det = 2;
  NmsCapped capped;
  EXPECT_EQ(non_max_suppression(flat.data(), 10, 5 + kNc, o, &capped).size(), 2u);
  EXPECT_EQ(capped.images, 1);
  EXPECT_EQ(capped.candidates, 4);
  EXPECT_EQ(capped.boxes, 4);
  EXPECT_FLOAT_EQ(capped.best, 0.8f);
  o.max_nms = 30000;
  o.max_det = 10;
  NmsCapped none;
  EXPECT_EQ(non_max_suppression(flat.data(), 10, 5 + kNc, o, &none).size(), 10u);
  EXPECT_FALSE(none.any());
}

TEST(Nms, OverlappingSameClassIsSuppressed) {
  // IoU of 20x20 boxes shifted by 2 px: 18*20 / (2*400 - 360) = 0.818 > 0.45.
  const auto d = run({row(50, 50, 20, 20, 0.9f, {0.9f}), row(52, 50, 20, 20, 0.8f, {0.9f})});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].conf, 0.81f);
  EXPECT_FLOAT_EQ(d[0].x1, 40.f);
  EXPECT_FLOAT_EQ(d[0].y2, 60.f);
}

TEST(Nms, DifferentClassesAreKeptUnlessAgnostic) {
  const std::vector<std::vector<float>> rows = {row(50, 50, 20, 20, 0.9f, {0.9f, 0.1f}),
                                                row(52, 50, 20, 20, 0.8f, {0.1f, 0.9f})};
  const auto d = run(rows);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cls, 0);
  EXPECT_EQ(d[1].cls, 1);
  NmsOptions agnostic;
  agnostic.agnostic = true;
  const auto a = run(rows, agnostic);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].cls, 0);
}

TEST(Nms, DisjointBoxesAllKeptInScoreOrder) {
  const auto d = run({row(10, 10, 10, 10, 0.5f, {0.9f}), row(100, 10, 10, 10, 0.9f, {0.9f}),
                      row(200, 10, 10, 10, 0.7f, {0.9f})});
  ASSERT_EQ(d.size(), 3u);
  EXPECT_GT(d[0].conf, d[1].conf);
  EXPECT_GT(d[1].conf, d[2].conf);
  EXPECT_FLOAT_EQ(d[0].x1, 95.f);
}

TEST(Nms, MultiLabelKeepsEveryClassAboveThreshold) {
  const std::vector<std::vector<float>> rows = {row(50, 50, 20, 20, 0.9f, {0.8f, 0.6f, 0.2f})};
  EXPECT_EQ(run(rows).size(), 1u);  // best class only: 0.72
  NmsOptions ml;
  ml.multi_label = true;
  const auto d = run(rows, ml);  // 0.72 and 0.54 pass 0.25; 0.18 does not
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].cls, 0);
  EXPECT_EQ(d[1].cls, 1);
  EXPECT_FLOAT_EQ(d[1].conf, 0.6f * 0.9f);
}

TEST(Nms, MaxDetTruncatesAfterSuppression) {
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(row(20.f + 50 * i, 20, 10, 10, 0.3f + 0.1f * i, {1.f}));
  NmsOptions o;
  o.max_det = 4;
  const auto d = run(rows, o);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_FLOAT_EQ(d[0].conf, 0.8f);
  EXPECT_FLOAT_EQ(d[3].conf, 0.5f);
}

TEST(Nms, MaxNmsLimitsCandidatesBeforeSuppression) {
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(row(20.f + 50 * i, 20, 10, 10, 0.3f + 0.1f * i, {1.f}));
  NmsOptions o;
  o.max_nms = 2;
  EXPECT_EQ(run(rows, o).size(), 2u);
}

TEST(Nms, ThresholdsAreStrict) {
  // obj exactly at conf_thres: dropped in step 1 even with class probability 1.
  EXPECT_TRUE(run({row(50, 50, 20, 20, 0.25f, {1.f})}).empty());
  // obj passes but obj * cls = 0.5 * 0.5 = 0.25 exactly: dropped in step 4.
  EXPECT_TRUE(run({row(50, 50, 20, 20, 0.5f, {0.5f})}).empty());
  EXPECT_EQ(run({row(50, 50, 20, 20, 0.5f, {0.5001f})}).size(), 1u);
  // IoU exactly 0.5 (inter 200, union 400) is not suppressed at iou_thres 0.5; 0.49 suppresses it.
  const std::vector<std::vector<float>> pair = {row(10, 10, 20, 20, 0.9f, {1.f}), row(5, 10, 10, 20, 0.8f, {1.f})};
  NmsOptions o;
  o.iou_thres = 0.5;
  EXPECT_EQ(run(pair, o).size(), 2u);
  o.iou_thres = 0.49;
  EXPECT_EQ(run(pair, o).size(), 1u);
}

TEST(Nms, ClassFilter) {
  NmsOptions o;
  o.classes = {2};
  const auto d = run({row(10, 10, 10, 10, 0.9f, {0.9f}), row(100, 10, 10, 10, 0.9f, {0, 0, 0.8f})}, o);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cls, 2);
}

TEST(Nms, RejectsBadShapes) {
  EXPECT_THROW(non_max_suppression(Tensor::zeros({2, 10}), NmsOptions{}), Error);
  EXPECT_THROW(non_max_suppression(Tensor::zeros({1, 10, 5}), NmsOptions{}), Error);
}

TEST(Nms, BatchedTensorGivesOneListPerImage) {
  const std::vector<float> a = row(50, 50, 20, 20, 0.9f, {0.9f}), empty = row(50, 50, 20, 20, 0.1f, {0.9f});
  std::vector<float> flat = a;
  flat.insert(flat.end(), empty.begin(), empty.end());
  const auto d = non_max_suppression(Tensor::from_vector(flat, {2, 1, 5 + kNc}), NmsOptions{});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].size(), 1u);
  EXPECT_TRUE(d[1].empty());
}

// On random boxes, the greedy result must satisfy both halves of its definition: no two kept boxes overlap
// by more than the threshold, and every dropped box overlaps a kept box that scored at least as high.
TEST(Nms, GreedyPerClassSuppressesWithinAClassOnly) {
  const std::vector<Box<double>> boxes = {{0, 0, 10, 10}, {1, 0, 11, 10}, {0, 1, 10, 11}, {50, 50, 60, 60}};
  const std::vector<int> classes = {0, 1, 0, 1};
  EXPECT_EQ(greedy_nms(boxes, 0.45), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(greedy_nms(boxes, 0.45, &classes), (std::vector<int64_t>{0, 1, 3}));
}

TEST(Nms, GreedyPropertiesOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 200), size(5, 60);
  const double thr = 0.45;
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<Box<float>> boxes;
    for (int i = 0; i < 150; ++i) {
      const float x = pos(rng), y = pos(rng);
      boxes.push_back({x, y, x + size(rng), y + size(rng)});
    }
    const std::vector<int64_t> keep = greedy_nms(boxes, thr);
    std::vector<char> kept(150, 0);
    for (size_t a = 0; a < keep.size(); ++a) {
      kept[static_cast<size_t>(keep[a])] = 1;
      if (a > 0) {
        ASSERT_LT(keep[a - 1], keep[a]);
      }
      for (size_t b = a + 1; b < keep.size(); ++b) ASSERT_LE(box_iou(boxes[keep[a]], boxes[keep[b]]), thr);
    }
    for (int64_t j = 0; j < 150; ++j) {
      if (kept[static_cast<size_t>(j)]) continue;
      bool covered = false;
      for (int64_t k : keep) covered |= k < j && box_iou(boxes[k], boxes[j]) > thr;
      ASSERT_TRUE(covered) << "box " << j << " dropped without a kept box above the threshold";
    }
  }
}

TEST(NmsGolden, BusDetectionsFromDecodedPredictions) {
  YP_REQUIRE_SHARED(decoded_path, "golden/yolov5n_coco/bus.decoded.f32");
  YP_REQUIRE_SHARED(det_path, "golden/yolov5n_coco/bus.detections.txt");
  // README: decoded [1, 18900, 85] for the 480x640 (W x H) letterboxed input of the 810x1080 bus.jpg.
  const std::vector<float> pred = test::read_f32(decoded_path, 18900u * 85u);
  NmsOptions o;
  o.max_det = 1000;
  std::vector<Detection> got = non_max_suppression(pred.data(), 18900, 85, o);
  NetworkInput in;  // bus.jpg's letterbox (input_pipeline.h), which maps the boxes back
  in.geometry = letterbox_geometry(810, 1080, LetterboxOptions{});
  for (Detection& d : got) {  // mapped back and clipped to the picture, as detect does
    const Box<double> b = in.to_picture(d);
    d = {float(std::clamp(b.x1, 0.0, 810.0)), float(std::clamp(b.y1, 0.0, 1080.0)), float(std::clamp(b.x2, 0.0, 810.0)),
         float(std::clamp(b.y2, 0.0, 1080.0)), d.conf, d.cls};
  }

  const std::vector<Detection> want = test::read_golden_detections(det_path);
  ASSERT_EQ(want.size(), 5u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].cls, want[i].cls) << "detection " << i;
    EXPECT_NEAR(got[i].conf, want[i].conf, 0.005) << "detection " << i;
    EXPECT_NEAR(got[i].x1, want[i].x1, 1.0) << "detection " << i;
    EXPECT_NEAR(got[i].y1, want[i].y1, 1.0) << "detection " << i;
    EXPECT_NEAR(got[i].x2, want[i].x2, 1.0) << "detection " << i;
    EXPECT_NEAR(got[i].y2, want[i].y2, 1.0) << "detection " << i;
    // The file has 2 decimals (4 for the score); the same decoded input should agree far more tightly.
    EXPECT_NEAR(got[i].x1, want[i].x1, 0.006) << "detection " << i;
    EXPECT_NEAR(got[i].conf, want[i].conf, 6e-5) << "detection " << i;
  }
}

}  // namespace
}  // namespace yp::yolo
