// validate.cpp: forward, loss, NMS and metrics over a validation loader (validate.h).
#include "train/validate.h"

#include "tensor/autograd.h"
#include "train/params.h"
#include "yolo/nms.h"

namespace yp::train {

ValidationResult validate(yolo::Model& model, DataLoader& loader, const yolo::LossConfig& loss,
                          const ValidationOptions& options) {
  NoGradGuard no_grad;
  model.eval();
  const int na = static_cast<int>(model.anchors()[0].size(0));
  const Device device = model_device(model);
  yolo::NmsOptions nms;
  nms.conf_thres = options.conf_thres;
  nms.iou_thres = options.iou_thres;
  nms.max_det = options.max_det;
  nms.multi_label = options.multi_label;

  ValidationResult res;
  MetricAccumulator acc;
  int batches = 0;
  loader.start_epoch(0);
  Batch batch;
  while (loader.next(batch)) {
    const yolo::ModelOutput out = model.forward(batch.images.to(device));
    const yolo::LossResult lr = yolo::yolo_loss(yolo::loss_layout(out.raw, na), model.anchors(), batch.targets, loss);
    res.lbox += lr.lbox, res.lobj += lr.lobj, res.lcls += lr.lcls;
    ++batches;
    const auto dets = yolo::non_max_suppression(out.decoded, nms);
    const int S = static_cast<int>(batch.images.size(3));
    for (size_t i = 0; i < dets.size(); ++i) {
      std::vector<LabelBox> labels;
      for (const auto& t : batch.targets)
        if (t.image == static_cast<int>(i))
          labels.push_back({{(t.cx - t.w / 2) * S, (t.cy - t.h / 2) * S, (t.cx + t.w / 2) * S, (t.cy + t.h / 2) * S}, t.cls});
      acc.add_image(dets[i], labels);
      if (static_cast<int>(res.detections.size()) < options.keep_images) {
        res.detections.push_back(dets[i]);
        res.labels.push_back(labels);
        res.samples.push_back(batch.samples[i]);
      }
    }
  }
  if (batches) res.lbox /= batches, res.lobj /= batches, res.lcls /= batches;
  res.metrics = acc.compute();
  model.train();
  return res;
}

}  // namespace yp::train
