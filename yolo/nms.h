// nms.h: YOLOv5's non_max_suppression (utils/general.py, v7.0) and the greedy suppression under it, which pick's
// merge across tiles uses too. Algorithm and rationale: docs/inference.md. (Boxes go back to the picture through
// the input's geometry, input_pipeline.h.)
//
// Input: decoded predictions (N, n_pred, 5 + nc) float32 - cx, cy, w, h in input pixels, obj, then the
// nc class probabilities (all after sigmoid), as Detect's eval-mode output (tensor/ops/detect_decode.h).
// Per image:
//   1. candidates: obj > conf_thres
//   2. class scores *= obj
//   3. box xywh -> xyxy
//   4. best class (first maximum) kept when its score > conf_thres; or with multi_label every
//      (box, class) pair whose score > conf_thres, in (box, class) order
//   5. optional class filter
//   6. stable sort by score, descending; keep the first max_nms
//   7. greedy NMS on boxes offset by cls * max_wh (0 when agnostic), so classes never suppress each other:
//      take the best remaining box, drop every later box with IoU > iou_thres
//   8. keep the first max_det
// The arithmetic is float32 as in PyTorch (the class offsets make rounding depend on it). YOLOv5's
// wall-clock time limit is not reproduced: the result never depends on the machine's speed.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"
#include "util/box.h"
#include "yolo/detection.h"

namespace yp::yolo {

struct NmsOptions {
  float conf_thres = 0.25f;
  double iou_thres = 0.45;
  bool agnostic = false;     // one NMS over all classes
  bool multi_label = false;  // a box may be kept once per class above conf_thres (val.py)
  int max_det = 300;         // detect.py passes 1000
  int max_nms = 30000;       // boxes entering the NMS
  float max_wh = 7680.f;     // class offset; larger than any box coordinate
  std::vector<int> classes;  // keep only these classes (empty: all)
};

// What the caps cut: candidates beyond max_nms (step 6) and boxes the suppression kept beyond max_det (step 8). A
// crowded micrograph must not lose particles silently, so every caller warns when any() (naming the picture).
struct NmsCapped {
  int images = 0;          // images (network inputs) where a cap cut something
  int64_t candidates = 0;  // dropped by max_nms
  int64_t boxes = 0;       // dropped by max_det
  float best = 0;          // the highest score among them
  bool any() const { return images > 0; }
  void add(const NmsCapped& o) {
    images += o.images, candidates += o.candidates, boxes += o.boxes;
    best = best > o.best ? best : o.best;
  }
};

// One image: `rows` is n_pred rows of `row_size` = 5 + nc floats. `capped` (optional) accumulates what the caps cut.
std::vector<Detection> non_max_suppression(const float* rows, int64_t n_pred, int64_t row_size,
                                           const NmsOptions& options, NmsCapped* capped = nullptr);

// A batch: pred (N, n_pred, 5 + nc), any device or float dtype; one list per image.
std::vector<std::vector<Detection>> non_max_suppression(const Tensor& pred, const NmsOptions& options,
                                                        NmsCapped* capped = nullptr);

// Greedy suppression (torchvision.ops.nms): `boxes` are already sorted by descending score. Returns the kept
// indices in order: each box is kept unless a kept box before it overlaps it with IoU > iou_thres (util/box.h, in
// T's arithmetic, no +1 on sizes). With `classes` (one per box), only boxes of the same class suppress each other.
// Instantiated for float (non_max_suppression) and double (pick's merge across tiles).
template <class T>
std::vector<int64_t> greedy_nms(const std::vector<Box<T>>& boxes, double iou_thres,
                                const std::vector<int>* classes = nullptr);

}  // namespace yp::yolo
