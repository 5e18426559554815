// metrics.h: detection metrics exactly as YOLOv5 v7.0's val.py and utils/metrics.py compute them.
//
// Per image (val.py process_batch), at each IoU threshold t in linspace(0.5, 0.95, 10):
//   candidate pairs (label, detection) with IoU >= t and the same class, sorted by IoU descending;
//   keep the first pair of every detection, then - in detection-index order, as np.unique returns
//   them - the first pair of every label. A detection in a kept pair is a TP at t.
// Over the data set (ap_per_class), per class c that has labels (n_l of them):
//   sort detections of c by confidence descending; tpc, fpc = cumulative TP / FP;
//   recall = tpc / (n_l + 1e-16), precision = tpc / (tpc + fpc);
//   AP(t) = trapz over r in linspace(0, 1, 101) of the precision envelope
//           (sentinels r=0 -> p=1 and r=1 -> p=0, envelope = reverse running max), np.interp semantics.
//   P and R are read from the confidence curves at 1000 points (np.interp over -conf), at the
//   confidence where the class-mean F1 - smoothed by a 101-tap box filter (smooth(f, 0.1)) - peaks.
// fitness = 0.1 mAP@0.5 + 0.9 mAP@0.5:0.95 (P and R weigh 0).
// Classes that have detections but no labels are ignored, as in YOLOv5.
// Boxes are xyxy in pixels of one frame (the network input or the original image); detections are NMS's
// (yolo/detection.h, float32), labels are double, the IoU is computed in double.
// Derivation and the reasons for these rules: docs/training.md#validation.
#pragma once

#include <array>
#include <vector>

#include "util/box.h"
#include "yolo/detection.h"

namespace yp::train {

constexpr int kNumIouThresholds = 10;
using IouFlags = std::array<bool, kNumIouThresholds>;

// linspace(0.5, 0.95, 10) as numpy computes it (start + i * step, the last one exactly 0.95).
const std::array<double, kNumIouThresholds>& iou_thresholds();

using Box = yp::Box<double>;
struct LabelBox {
  Box box;
  int cls = 0;
};

// YOLOv5's box_iou adds eps = 1e-7 to the union (util/box.h).
constexpr double kMetricIouEps = 1e-7;

// process_batch: for every detection, whether it is a true positive at each IoU threshold.
std::vector<IouFlags> match_detections(const std::vector<yolo::Detection>& dets, const std::vector<LabelBox>& labels);

struct ClassMetrics {
  int cls = 0;
  int n_labels = 0;
  double precision = 0, recall = 0, f1 = 0;
  double ap50 = 0;                               // AP at IoU 0.5
  double ap = 0;                                 // mean AP over the 10 thresholds
  std::array<double, kNumIouThresholds> ap_at{};  // AP per threshold
  std::vector<double> pr_curve;                  // precision envelope at recall linspace(0,1,1000), IoU 0.5
};

struct DetectionMetrics {
  double precision = 0, recall = 0;  // means over classes with labels
  double map50 = 0, map = 0;
  int n_labels = 0, n_images = 0;
  std::vector<ClassMetrics> per_class;  // classes that have labels, ascending
};

// fitness = 0.1 mAP@0.5 + 0.9 mAP@0.5:0.95
double fitness(const DetectionMetrics& m);

// Gathers per-image matches (val.py's `stats`) and reduces them with ap_per_class.
class MetricAccumulator {
 public:
  void add_image(const std::vector<yolo::Detection>& dets, const std::vector<LabelBox>& labels);
  DetectionMetrics compute() const;

 private:
  std::vector<IouFlags> tp_;
  std::vector<double> conf_;
  std::vector<int> pred_cls_;
  std::vector<int> target_cls_;
  int n_images_ = 0;
};

// ap_per_class on raw statistics (one entry per detection; one class id per label).
DetectionMetrics ap_per_class(const std::vector<IouFlags>& tp, const std::vector<double>& conf,
                              const std::vector<int>& pred_cls, const std::vector<int>& target_cls);

// compute_ap: 101-point interpolated area under the precision envelope of one (recall, precision) curve.
double compute_ap(const std::vector<double>& recall, const std::vector<double>& precision);

// np.interp(x, xp, fp, left, right) for increasing xp (ties allowed: the last xp[j] <= x is used).
double np_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp, double left, double right);

}  // namespace yp::train
