// nms.cpp: non_max_suppression and greedy_nms (nms.h; the rules are listed there and in docs/inference.md).
#include "yolo/nms.h"

#include <algorithm>
#include <numeric>

namespace yp::yolo {

template <class T>
std::vector<int64_t> greedy_nms(const std::vector<Box<T>>& boxes, double iou_thres, const std::vector<int>* classes) {
  const size_t n = boxes.size();
  YP_CHECK(!classes || classes->size() == n, "greedy_nms: one class per box");
  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  for (size_t i = 0; i < n; ++i) {
    if (suppressed[i]) continue;
    keep.push_back(static_cast<int64_t>(i));
    for (size_t j = i + 1; j < n; ++j)
      if (!suppressed[j] && (!classes || (*classes)[i] == (*classes)[j]) && box_iou(boxes[i], boxes[j]) > iou_thres)
        suppressed[j] = 1;
  }
  return keep;
}
template std::vector<int64_t> greedy_nms(const std::vector<Box<float>>&, double, const std::vector<int>*);
template std::vector<int64_t> greedy_nms(const std::vector<Box<double>>&, double, const std::vector<int>*);

std::vector<Detection> non_max_suppression(const float* rows, int64_t n_pred, int64_t row_size,
                                           const NmsOptions& o, NmsCapped* capped) {
  YP_CHECK(row_size > 5, "non_max_suppression: rows of " + std::to_string(row_size) +
                             " values; expected 5 + nc with nc >= 1");
  YP_CHECK(o.conf_thres >= 0 && o.conf_thres <= 1 && o.iou_thres >= 0 && o.iou_thres <= 1,
           "non_max_suppression: conf and iou thresholds must lie in [0, 1]");
  const int nc = static_cast<int>(row_size - 5);
  auto class_allowed = [&](int c) {
    return o.classes.empty() || std::find(o.classes.begin(), o.classes.end(), c) != o.classes.end();
  };

  // Steps 1-5: candidates as Detection rows in the letterboxed input's pixels.
  std::vector<Detection> cand;
  for (int64_t r = 0; r < n_pred; ++r) {
    const float* p = rows + r * row_size;
    const float obj = p[4];
    if (!(obj > o.conf_thres)) continue;
    Detection box;
    box.x1 = p[0] - p[2] / 2.f;
    box.y1 = p[1] - p[3] / 2.f;
    box.x2 = p[0] + p[2] / 2.f;
    box.y2 = p[1] + p[3] / 2.f;
    if (o.multi_label) {
      for (int c = 0; c < nc; ++c) {
        const float score = p[5 + c] * obj;
        if (score > o.conf_thres && class_allowed(c)) {
          box.conf = score;
          box.cls = c;
          cand.push_back(box);
        }
      }
    } else {
      int best = 0;
      float best_score = p[5] * obj;
      for (int c = 1; c < nc; ++c)
        if (p[5 + c] * obj > best_score) best_score = p[5 + c] * obj, best = c;
      if (best_score > o.conf_thres && class_allowed(best)) {
        box.conf = best_score;
        box.cls = best;
        cand.push_back(box);
      }
    }
  }
  // Step 6.
  std::stable_sort(cand.begin(), cand.end(), [](const Detection& a, const Detection& b) { return a.conf > b.conf; });
  const int64_t beyond_max_nms = std::max<int64_t>(0, static_cast<int64_t>(cand.size()) - o.max_nms);
  const float best_beyond_max_nms = beyond_max_nms > 0 ? cand[static_cast<size_t>(o.max_nms)].conf : 0.f;
  if (beyond_max_nms > 0) cand.resize(static_cast<size_t>(o.max_nms));
  // Step 7: offset each class into its own region of the plane.
  std::vector<Box<float>> offset_boxes(cand.size());
  for (size_t i = 0; i < cand.size(); ++i) {
    const float off = o.agnostic ? 0.f : static_cast<float>(cand[i].cls) * o.max_wh;
    offset_boxes[i] = {cand[i].x1 + off, cand[i].y1 + off, cand[i].x2 + off, cand[i].y2 + off};
  }
  const std::vector<int64_t> kept = greedy_nms(offset_boxes, o.iou_thres);
  std::vector<Detection> out;
  for (size_t k = 0; k < kept.size() && static_cast<int>(k) < o.max_det; ++k)  // step 8
    out.push_back(cand[static_cast<size_t>(kept[k])]);
  const int64_t beyond_max_det = static_cast<int64_t>(kept.size() - out.size());
  if (capped && (beyond_max_nms > 0 || beyond_max_det > 0)) {
    const float best_beyond_max_det = beyond_max_det > 0 ? cand[static_cast<size_t>(kept[out.size()])].conf : 0.f;
    capped->add({1, beyond_max_nms, beyond_max_det, std::max(best_beyond_max_nms, best_beyond_max_det)});
  }
  return out;
}

std::vector<std::vector<Detection>> non_max_suppression(const Tensor& pred, const NmsOptions& o, NmsCapped* capped) {
  YP_CHECK(pred.defined() && pred.dim() == 3 && pred.size(2) > 5,
           "non_max_suppression: expected predictions (N, n_pred, 5 + nc), got " +
               (pred.defined() ? shape_str(pred.shape()) : std::string("an undefined tensor")));
  const Tensor p = pred.to(Device::CPU).to(DType::F32);
  const int64_t n = p.size(0), rows = p.size(1), row_size = p.size(2);
  std::vector<std::vector<Detection>> out(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b)
    out[static_cast<size_t>(b)] = non_max_suppression(p.data<float>() + b * rows * row_size, rows, row_size, o, capped);
  return out;
}

}  // namespace yp::yolo
