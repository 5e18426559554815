// validate.h: one pass over the validation set (val.py during training): the model in eval mode, raw
// outputs decoded as Detect does in inference, NMS with val.py's settings (conf 0.001, IoU 0.6,
// multi-label, max 300 per image), then the metrics of metrics.h in the network-input frame (IoU does not
// change under the letterbox's uniform scale, so this equals scoring in the original image's pixels).
//
// Decode, per level with stride s, anchor (aw, ah) in grid units, cell (x, y), sigmoid sigma:
//   cx = (2 sigma(tx) - 0.5 + x) s,  cy = (2 sigma(ty) - 0.5 + y) s,
//   w = (2 sigma(tw))^2 aw s,        h = (2 sigma(th))^2 ah s,     obj, cls = sigma(.)
// rows ordered level, anchor, y, x (YOLOv5's view(bs, -1, no)).
#pragma once

#include <vector>

#include "train/detector.h"
#include "train/loader.h"
#include "train/metrics.h"
#include "yolo/detection.h"
#include "yolo/loss.h"

namespace yp::train {

struct ValidationOptions {
  float conf_thres = 0.001f;
  double iou_thres = 0.6;
  int max_det = 300;
  bool multi_label = true;
  int keep_images = 0;  // how many images' detections to return (for the plots)
};

struct ValidationResult {
  DetectionMetrics metrics;
  double lbox = 0, lobj = 0, lcls = 0;  // the loss on the validation set (mean per batch)
  std::vector<std::vector<yolo::Detection>> detections;  // first keep_images images, input pixels
  std::vector<std::vector<LabelBox>> labels;             // their labels
  std::vector<int> samples;                              // their data set indices
};

// (N, n_pred, 5 + nc) decoded predictions from the raw level outputs.
Tensor decode_outputs(const std::vector<Tensor>& raw, const std::vector<Tensor>& anchors, const std::vector<int>& strides,
                      int nc);

ValidationResult validate(TrainableDetector& model, DataLoader& loader, const yolo::LossConfig& loss,
                          const ValidationOptions& options);

}  // namespace yp::train
