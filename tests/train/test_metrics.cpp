// Validation metrics: hand-made cases whose answers follow from the rules, and a golden from an
// independent NumPy transcription of YOLOv5 v7.0 (tests/golden/train/make_metrics_golden.py).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/shared_data.h"
#include "train/metrics.h"

using namespace yp::train;
using yp::yolo::Detection;

namespace {
Detection det(float x1, float y1, float x2, float y2, float conf, int cls = 0) {
  return Detection{x1, y1, x2, y2, conf, cls};
}
LabelBox lab(double x1, double y1, double x2, double y2, int cls = 0) { return LabelBox{{x1, y1, x2, y2}, cls}; }
}  // namespace

TEST(Metrics, IouThresholdsAreNumpyLinspace) {
  const auto& t = iou_thresholds();
  EXPECT_EQ(t[0], 0.5);
  EXPECT_EQ(t[9], 0.95);
  EXPECT_NEAR(t[3], 0.65, 1e-15);
}

TEST(Metrics, MatchIsPerThresholdAndOneToOne) {
  // Label 10x10; det A exact (IoU 1), det B shifted by 1 px (IoU 90/110 = 0.818), det C wrong class.
  const std::vector<LabelBox> labels = {lab(0, 0, 10, 10)};
  const std::vector<Detection> dets = {det(0, 0, 10, 10, 0.5), det(1, 0, 11, 10, 0.9), det(0, 0, 10, 10, 0.9, 1)};
  const auto c = match_detections(dets, labels);
  for (int t = 0; t < 10; ++t) {
    EXPECT_TRUE(c[0][t]) << t;  // the best-IoU pair wins the only label at every threshold
    EXPECT_FALSE(c[1][t]) << t;
    EXPECT_FALSE(c[2][t]) << t;
  }
}

TEST(Metrics, LabelDedupFollowsDetectionOrderAsNumpyUnique) {
  // Two labels, two detections. det0 overlaps label0 (IoU .9) and label1 (IoU .6); det1 overlaps label0 only
  // (IoU .95). Sorted by IoU: (l0,d1,.95) (l0,d0,.9) (l1,d0,.6). First per detection: d0->l0, d1->l0.
  // First per label in detection order: l0 -> d0. So det0 is TP, det1 is NOT (and l1 stays unmatched),
  // although a maximum matching would pair d1-l0 and d0-l1. This is YOLOv5's rule, kept on purpose.
  const std::vector<LabelBox> labels = {lab(0, 0, 100, 10), lab(10, 0, 110, 10)};
  // det0 = (4,0,104,10): IoU with l0 = 96/104 = 0.923, with l1 = 94/106 = 0.887
  // det1 = (1,0,101,10): IoU with l0 = 99/101 = 0.980, with l1 = 91/109 = 0.835
  const std::vector<Detection> dets = {det(4, 0, 104, 10, 0.8), det(1, 0, 101, 10, 0.7)};
  const auto c = match_detections(dets, labels);
  EXPECT_TRUE(c[0][0]);
  EXPECT_FALSE(c[1][0]);
}

TEST(Metrics, PerfectDetectionsGiveOneEverywhere) {
  MetricAccumulator acc;
  acc.add_image({det(0, 0, 10, 10, 0.9), det(20, 20, 40, 40, 0.8, 1)}, {lab(0, 0, 10, 10), lab(20, 20, 40, 40, 1)});
  acc.add_image({}, {});
  const DetectionMetrics m = acc.compute();
  // YOLOv5's ceiling is 0.995, not 1: at r = 1 np.interp returns the LAST sentinel (p = 0), so the
  // final trapezoid of the 101-point sum is (1 + 0)/2 * 0.01 instead of 0.01.
  EXPECT_NEAR(m.map50, 0.995, 1e-9);
  EXPECT_NEAR(m.map, 0.995, 1e-9);
  EXPECT_NEAR(m.precision, 1.0, 1e-9);
  EXPECT_NEAR(m.recall, 1.0, 1e-9);
  EXPECT_NEAR(fitness(m), 0.995, 1e-9);
  EXPECT_EQ(m.per_class.size(), 2u);
}

TEST(Metrics, HalfRecallGivesApOfTheEnvelope) {
  // One TP at conf .9, one missed label: recall 0.5 at precision 1. The 101-point interpolation of the
  // envelope (1 up to r = .5, then linear from (0.5, 1) to (1, 0) between the sentinels):
  // samples r = 0..0.5 -> 1; r = 0.51..1 -> 1 - (r - .5)/.5 ... trapz = 0.5 + 0.25 = 0.75 exactly.
  MetricAccumulator acc;
  acc.add_image({det(0, 0, 10, 10, 0.9)}, {lab(0, 0, 10, 10), lab(50, 50, 60, 60)});
  const DetectionMetrics m = acc.compute();
  EXPECT_NEAR(m.map50, 0.75, 1e-9);
  EXPECT_NEAR(compute_ap({0.5}, {1.0}), 0.75, 1e-12);
}

TEST(Metrics, NoTruePositiveGivesZeros) {
  MetricAccumulator acc;
  acc.add_image({det(100, 100, 110, 110, 0.9)}, {lab(0, 0, 10, 10)});
  const DetectionMetrics m = acc.compute();
  EXPECT_EQ(m.map50, 0.0);
  EXPECT_EQ(m.n_labels, 1);
}

TEST(Metrics, NpInterpTiesTakeTheLastPoint) {
  const std::vector<double> xp = {0, 0.5, 0.5, 1}, fp = {1, 0.8, 0.4, 0};
  EXPECT_EQ(np_interp(0.5, xp, fp, 9, 9), 0.4);
  EXPECT_NEAR(np_interp(0.75, xp, fp, 9, 9), 0.2, 1e-12);
  EXPECT_EQ(np_interp(-1, xp, fp, 9, 7), 9);
  EXPECT_EQ(np_interp(2, xp, fp, 9, 7), 7);
}

TEST(Metrics, MatchesNumpyTranscriptionOfYolov5) {
  std::ifstream in(yp::test::source_path("tests/golden/train/metrics_case.txt"));
  ASSERT_TRUE(in) << "golden file missing";
  int n_images = 0;
  in >> n_images;
  std::vector<std::vector<Detection>> dets(n_images);
  std::vector<std::vector<LabelBox>> labels(n_images);
  for (int i = 0; i < n_images; ++i) {
    int nl, nd;
    in >> nl >> nd;
    for (int k = 0; k < nl; ++k) {
      double c;
      LabelBox l;
      in >> c >> l.box.x1 >> l.box.y1 >> l.box.x2 >> l.box.y2;
      l.cls = static_cast<int>(c);
      labels[i].push_back(l);
    }
    for (int k = 0; k < nd; ++k) {
      double x1, y1, x2, y2, conf, c;  // float32 values written with 17 digits
      in >> x1 >> y1 >> x2 >> y2 >> conf >> c;
      dets[i].push_back(det(float(x1), float(y1), float(x2), float(y2), float(conf), static_cast<int>(c)));
    }
  }
  MetricAccumulator acc;
  int n_flags = 0;
  for (int i = 0; i < n_images; ++i) {
    const auto correct = match_detections(dets[i], labels[i]);
    for (size_t k = 0; k < dets[i].size(); ++k)
      for (int t = 0; t < 10; ++t) {
        int expected;
        in >> expected;
        EXPECT_EQ(correct[k][t], expected == 1) << "image " << i << " det " << k << " thr " << t;
        n_flags += expected;
      }
    acc.add_image(dets[i], labels[i]);
  }
  EXPECT_GT(n_flags, 10);  // the case exercises matches
  double mp, mr, map50, map;
  int nc;
  in >> mp >> mr >> map50 >> map >> nc;
  ASSERT_TRUE(in);
  const DetectionMetrics m = acc.compute();
  EXPECT_NEAR(m.precision, mp, 1e-12);
  EXPECT_NEAR(m.recall, mr, 1e-12);
  EXPECT_NEAR(m.map50, map50, 1e-12);
  EXPECT_NEAR(m.map, map, 1e-12);
  ASSERT_EQ(static_cast<int>(m.per_class.size()), nc);
  for (int c = 0; c < nc; ++c) {
    double cls, p, r, a50, a;
    in >> cls >> p >> r >> a50 >> a;
    EXPECT_EQ(m.per_class[c].cls, static_cast<int>(cls));
    EXPECT_NEAR(m.per_class[c].precision, p, 1e-12) << c;
    EXPECT_NEAR(m.per_class[c].recall, r, 1e-12) << c;
    EXPECT_NEAR(m.per_class[c].ap50, a50, 1e-12) << c;
    EXPECT_NEAR(m.per_class[c].ap, a, 1e-12) << c;
  }
}
