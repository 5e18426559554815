// validate.cpp: forward, loss, NMS and metrics over a validation loader (validate.h).
#include "train/validate.h"

#include <algorithm>

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
  auto keep = [&](const std::vector<yolo::Detection>& dets, const std::vector<LabelBox>& labels, int sample) {
    acc.add_image(dets, labels);
    if (static_cast<int>(res.detections.size()) < options.keep_images) {
      res.detections.push_back(dets);
      res.labels.push_back(labels);
      res.samples.push_back(sample);
    }
  };
  loader.start_epoch(0);
  Batch batch;
  while (loader.next(batch)) {
    if (!batch.tiles.inputs.empty()) {  // one micrograph's tiles, merged and scored as pick would
      const int64_t n = batch.images.size(0), chunk = loader.config().batch_size;
      std::vector<std::vector<yolo::Detection>> per_tile;
      for (int64_t first = 0; first < n; first += chunk) {
        const int64_t count = std::min(chunk, n - first);
        Tensor images = Tensor::empty({count, batch.images.size(1), batch.images.size(2), batch.images.size(3)});
        const int64_t per_image = images.numel() / count;
        std::copy_n(batch.images.data<float>() + first * per_image, images.numel(), images.data<float>());
        const yolo::ModelOutput out = model.forward(images.to(device));
        std::vector<yolo::Target> targets;
        for (yolo::Target t : batch.targets)
          if (t.image >= first && t.image < first + count) t.image -= static_cast<int>(first), targets.push_back(t);
        const yolo::LossResult lr = yolo::yolo_loss(yolo::loss_layout(out.raw, na), model.anchors(), targets, loss);
        res.lbox += lr.lbox, res.lobj += lr.lobj, res.lcls += lr.lcls;
        ++batches;
        for (auto& d : yolo::non_max_suppression(out.decoded, nms, &res.capped)) per_tile.push_back(std::move(d));
      }
      std::vector<yolo::Detection> dets;
      for (const yolo::DetectionRef& r : yolo::merge_detections(batch.tiles, per_tile, nms.iou_thres, false)) {
        yolo::Detection d = per_tile[r.input][r.index];
        const Box b = batch.tiles.inputs[r.input].to_picture(d);
        d.x1 = static_cast<float>(b.x1), d.y1 = static_cast<float>(b.y1);
        d.x2 = static_cast<float>(b.x2), d.y2 = static_cast<float>(b.y2);
        dets.push_back(d);
      }
      std::vector<LabelBox> labels;
      for (const PixelBox& p : batch.picture_boxes) labels.push_back({{p.x1, p.y1, p.x2, p.y2}, p.cls});
      keep(dets, labels, batch.samples[0]);
      continue;
    }
    const yolo::ModelOutput out = model.forward(batch.images.to(device));
    const yolo::LossResult lr = yolo::yolo_loss(yolo::loss_layout(out.raw, na), model.anchors(), batch.targets, loss);
    res.lbox += lr.lbox, res.lobj += lr.lobj, res.lcls += lr.lcls;
    ++batches;
    const auto dets = yolo::non_max_suppression(out.decoded, nms, &res.capped);
    const int S = static_cast<int>(batch.images.size(3));
    for (size_t i = 0; i < dets.size(); ++i) {
      std::vector<LabelBox> labels;
      for (const auto& t : batch.targets)
        if (t.image == static_cast<int>(i))
          labels.push_back({{(t.cx - t.w / 2) * S, (t.cy - t.h / 2) * S, (t.cx + t.w / 2) * S, (t.cy + t.h / 2) * S}, t.cls});
      keep(dets[i], labels, batch.samples[i]);
    }
  }
  if (batches) res.lbox /= batches, res.lobj /= batches, res.lcls /= batches;
  res.metrics = acc.compute();
  model.train();
  return res;
}

}  // namespace yp::train
