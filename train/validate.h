// validate.h: one pass over the validation set (val.py during training): the model in eval mode, its forward
// giving the raw Detect output (for the loss) and the decoded predictions (the inference decode, yolo/model.h:
// the same function `detect` and `pick` use), NMS with val.py's settings (conf 0.001, IoU 0.6, multi-label, max
// 300 per image), then the metrics of metrics.h in the network-input frame (IoU does not change under the
// letterbox's uniform scale, so this equals scoring in the original image's pixels). The batches go to the
// model's device; the loss and NMS run on the host.
// With a physical scale a batch is one micrograph's tiles (loader.h): they go through the network in chunks of the
// loader's batch size, NMS per tile, then yolo::merge_detections - pick's merge - and the detections are scored in
// the micrograph's own pixels against its labels. So the validation numbers are what `pick` does.
#pragma once

#include <vector>

#include "train/loader.h"
#include "train/metrics.h"
#include "yolo/detection.h"
#include "yolo/loss.h"
#include "yolo/model.h"
#include "yolo/nms.h"

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
  yolo::NmsCapped capped;               // what max_det (and max_nms) cut: a crowded image loses boxes
  // first keep_images images: input pixels, or with a scale the micrograph's pixels
  std::vector<std::vector<yolo::Detection>> detections;
  std::vector<std::vector<LabelBox>> labels;             // their labels
  std::vector<int> samples;                              // their data set indices
};

// Leaves the model in training mode.
ValidationResult validate(yolo::Model& model, DataLoader& loader, const yolo::LossConfig& loss,
                          const ValidationOptions& options);

}  // namespace yp::train
