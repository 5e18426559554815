// metrics.cpp: YOLOv5 v7.0 val.py process_batch and utils/metrics.py ap_per_class / compute_ap / smooth,
// written as loops. The numpy calls they use are reproduced with their exact semantics (linspace,
// interp with ties, trapz, unique's first-occurrence rule), because mAP differences of 1e-3 between
// implementations usually come from exactly those details.
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace yp::train {

namespace {

// numpy.linspace(start, stop, num): start + i * step, with the last sample set to stop.
std::vector<double> linspace(double start, double stop, int num) {
  std::vector<double> v(num);
  const double step = (stop - start) / (num - 1);
  for (int i = 0; i < num; ++i) v[i] = start + i * step;
  v[num - 1] = stop;
  return v;
}

double trapz(const std::vector<double>& y, const std::vector<double>& x) {
  double s = 0;
  for (size_t i = 0; i + 1 < y.size(); ++i) s += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
  return s;
}

// utils/metrics.py smooth(y, f): box filter of nf = round(len*f*2)//2 + 1 taps, edges padded with the end values.
std::vector<double> smooth(const std::vector<double>& y, double f) {
  const int n = static_cast<int>(y.size());
  const int nf = static_cast<int>(std::nearbyint(n * f * 2)) / 2 + 1;
  const int half = nf / 2;
  std::vector<double> padded;
  padded.reserve(n + 2 * half);
  padded.insert(padded.end(), half, y.front());
  padded.insert(padded.end(), y.begin(), y.end());
  padded.insert(padded.end(), half, y.back());
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) {
    double s = 0;
    for (int k = 0; k < nf; ++k) s += padded[i + k] * (1.0 / nf);
    out[i] = s;
  }
  return out;
}

}  // namespace

const std::array<double, kNumIouThresholds>& iou_thresholds() {
  static const std::array<double, kNumIouThresholds> t = [] {
    std::array<double, kNumIouThresholds> a{};
    const auto v = linspace(0.5, 0.95, kNumIouThresholds);
    std::copy(v.begin(), v.end(), a.begin());
    return a;
  }();
  return t;
}

std::vector<IouFlags> match_detections(const std::vector<yolo::Detection>& dets, const std::vector<LabelBox>& labels) {
  std::vector<IouFlags> correct(dets.size(), IouFlags{});
  if (dets.empty() || labels.empty()) return correct;
  std::vector<double> iou(labels.size() * dets.size());
  for (size_t l = 0; l < labels.size(); ++l)
    for (size_t d = 0; d < dets.size(); ++d)
      iou[l * dets.size() + d] = box_iou(labels[l].box, Box{dets[d].x1, dets[d].y1, dets[d].x2, dets[d].y2}, kMetricIouEps);

  struct Pair {
    int label, det;
    double iou;
  };
  for (int t = 0; t < kNumIouThresholds; ++t) {
    const double thr = iou_thresholds()[t];
    std::vector<Pair> pairs;  // torch.where order: label-major
    for (size_t l = 0; l < labels.size(); ++l)
      for (size_t d = 0; d < dets.size(); ++d) {
        const double v = iou[l * dets.size() + d];
        if (v >= thr && labels[l].cls == dets[d].cls) pairs.push_back({int(l), int(d), v});
      }
    if (pairs.size() > 1) {
      // matches[argsort(iou)[::-1]]: descending IoU. (numpy's argsort is not stable; among exact ties
      // we keep the reverse of the original order, which is what a stable ascending sort reversed gives.)
      std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou < b.iou; });
      std::reverse(pairs.begin(), pairs.end());
      // np.unique(matches[:, 1], return_index=True): first pair per detection, in ascending detection order.
      std::map<int, Pair> by_det;
      for (const Pair& p : pairs) by_det.emplace(p.det, p);
      // then np.unique on labels over THAT order (detection-ascending): first pair per label.
      std::map<int, Pair> by_label;
      for (const auto& kv : by_det) by_label.emplace(kv.second.label, kv.second);
      pairs.clear();
      for (const auto& kv : by_label) pairs.push_back(kv.second);
    }
    for (const Pair& p : pairs) correct[p.det][t] = true;
  }
  return correct;
}

double np_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp, double left, double right) {
  const size_t n = xp.size();
  if (x < xp.front()) return left;
  if (x > xp.back()) return right;
  if (x == xp.back()) return fp.back();
  // last j with xp[j] <= x (x < xp.back() here, so j + 1 < n)
  const size_t j = static_cast<size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
  if (j == n - 1) return fp[j];
  if (xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  return slope * (x - xp[j]) + fp[j];
}

namespace {
// compute_ap's envelope: sentinels, then precision replaced by its running maximum from the right.
void envelope(const std::vector<double>& recall, const std::vector<double>& precision, std::vector<double>& mrec,
              std::vector<double>& mpre) {
  mrec.assign(1, 0.0);
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mrec.push_back(1.0);
  mpre.assign(1, 1.0);
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mpre.push_back(0.0);
  for (size_t i = mpre.size() - 1; i-- > 0;) mpre[i] = std::max(mpre[i], mpre[i + 1]);
}
}  // namespace

double compute_ap(const std::vector<double>& recall, const std::vector<double>& precision) {
  std::vector<double> mrec, mpre;
  envelope(recall, precision, mrec, mpre);
  static const std::vector<double> x = linspace(0.0, 1.0, 101);
  std::vector<double> y(x.size());
  // np.interp(x, mrec, mpre) with default left/right = the end values
  for (size_t i = 0; i < x.size(); ++i) y[i] = np_interp(x[i], mrec, mpre, mpre.front(), mpre.back());
  return trapz(y, x);
}

DetectionMetrics ap_per_class(const std::vector<IouFlags>& tp, const std::vector<double>& conf,
                              const std::vector<int>& pred_cls, const std::vector<int>& target_cls) {
  constexpr double eps = 1e-16;
  constexpr int kCurvePoints = 1000;
  DetectionMetrics out;
  out.n_labels = static_cast<int>(target_cls.size());

  // Sort by confidence, descending (np.argsort(-conf); ties keep no particular order - we keep input order).
  std::vector<size_t> order(conf.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return conf[a] > conf[b]; });

  std::map<int, int> n_per_class;  // np.unique(target_cls, return_counts=True)
  for (int c : target_cls) ++n_per_class[c];
  const int nc = static_cast<int>(n_per_class.size());
  if (nc == 0) return out;

  const std::vector<double> px = linspace(0.0, 1.0, kCurvePoints);
  std::vector<std::vector<double>> p_curve(nc, std::vector<double>(kCurvePoints, 0.0)),
      r_curve(nc, std::vector<double>(kCurvePoints, 0.0));
  int ci = 0;
  for (const auto& [cls, n_l] : n_per_class) {
    ClassMetrics cm;
    cm.cls = cls;
    cm.n_labels = n_l;
    cm.pr_curve.assign(kCurvePoints, 0.0);
    std::vector<size_t> idx;
    for (size_t k : order)
      if (pred_cls[k] == cls) idx.push_back(k);
    if (!idx.empty()) {
      const size_t n_p = idx.size();
      std::vector<double> neg_conf(n_p);
      for (size_t k = 0; k < n_p; ++k) neg_conf[k] = -conf[idx[k]];
      for (int t = 0; t < kNumIouThresholds; ++t) {
        std::vector<double> recall(n_p), precision(n_p);
        double tpc = 0, fpc = 0;
        for (size_t k = 0; k < n_p; ++k) {
          const bool hit = tp[idx[k]][t];
          tpc += hit ? 1.0 : 0.0;
          fpc += hit ? 0.0 : 1.0;
          recall[k] = tpc / (n_l + eps);
          precision[k] = tpc / (tpc + fpc);
        }
        if (t == 0) {
          for (int i = 0; i < kCurvePoints; ++i) {
            r_curve[ci][i] = np_interp(-px[i], neg_conf, recall, 0.0, recall.back());
            p_curve[ci][i] = np_interp(-px[i], neg_conf, precision, 1.0, precision.back());
          }
          std::vector<double> mrec, mpre;
          envelope(recall, precision, mrec, mpre);
          for (int i = 0; i < kCurvePoints; ++i) cm.pr_curve[i] = np_interp(px[i], mrec, mpre, mpre.front(), mpre.back());
        }
        cm.ap_at[t] = compute_ap(recall, precision);
      }
    }
    double s = 0;
    for (double a : cm.ap_at) s += a;
    cm.ap50 = cm.ap_at[0];
    cm.ap = s / kNumIouThresholds;
    out.per_class.push_back(cm);
    ++ci;
  }

  // F1 per class and point; P, R, F1 taken where the smoothed class-mean F1 peaks (first maximum).
  std::vector<std::vector<double>> f1(nc, std::vector<double>(kCurvePoints));
  std::vector<double> f1_mean(kCurvePoints, 0.0);
  for (int c = 0; c < nc; ++c)
    for (int i = 0; i < kCurvePoints; ++i) {
      f1[c][i] = 2 * p_curve[c][i] * r_curve[c][i] / (p_curve[c][i] + r_curve[c][i] + eps);
      f1_mean[i] += f1[c][i];
    }
  for (double& v : f1_mean) v /= nc;
  const std::vector<double> sm = smooth(f1_mean, 0.1);
  const int best = static_cast<int>(std::max_element(sm.begin(), sm.end()) - sm.begin());
  double sp = 0, sr = 0, s50 = 0, sap = 0;
  for (int c = 0; c < nc; ++c) {
    ClassMetrics& cm = out.per_class[c];
    cm.precision = p_curve[c][best];
    cm.recall = r_curve[c][best];
    cm.f1 = f1[c][best];
    sp += cm.precision;
    sr += cm.recall;
    s50 += cm.ap50;
    sap += cm.ap;
  }
  out.precision = sp / nc;
  out.recall = sr / nc;
  out.map50 = s50 / nc;
  out.map = sap / nc;
  return out;
}

double fitness(const DetectionMetrics& m) { return 0.1 * m.map50 + 0.9 * m.map; }

void MetricAccumulator::add_image(const std::vector<yolo::Detection>& dets, const std::vector<LabelBox>& labels) {
  ++n_images_;
  for (const LabelBox& l : labels) target_cls_.push_back(l.cls);
  if (dets.empty()) return;
  const auto correct = match_detections(dets, labels);
  for (size_t i = 0; i < dets.size(); ++i) {
    tp_.push_back(correct[i]);
    conf_.push_back(dets[i].conf);
    pred_cls_.push_back(dets[i].cls);
  }
}

DetectionMetrics MetricAccumulator::compute() const {
  // val.py: ap_per_class runs only when some detection is a TP at IoU 0.5; otherwise everything is 0.
  bool any = false;
  for (const auto& f : tp_) any = any || std::any_of(f.begin(), f.end(), [](bool b) { return b; });
  DetectionMetrics m;
  if (any) {
    m = ap_per_class(tp_, conf_, pred_cls_, target_cls_);
  } else {
    std::map<int, int> counts;
    for (int c : target_cls_) ++counts[c];
    for (const auto& [c, n] : counts) {
      ClassMetrics cm;
      cm.cls = c;
      cm.n_labels = n;
      cm.pr_curve.assign(1000, 0.0);
      m.per_class.push_back(cm);
    }
  }
  m.n_labels = static_cast<int>(target_cls_.size());
  m.n_images = n_images_;
  return m;
}

}  // namespace yp::train
