// validate.cpp: decode, NMS and metrics over a validation loader (validate.h).
#include "train/validate.h"

#include <cmath>

#include "tensor/autograd.h"
#include "yolo/nms.h"

namespace yp::train {

namespace {
inline float sigmoidf(float v) { return 1.0f / (1.0f + std::exp(-v)); }
}  // namespace

Tensor decode_outputs(const std::vector<Tensor>& raw, const std::vector<Tensor>& anchors, const std::vector<int>& strides,
                      int nc) {
  YP_CHECK(raw.size() == anchors.size() && raw.size() == strides.size(), "decode_outputs: levels disagree");
  const int64_t no = 5 + nc, n = raw[0].size(0);
  int64_t total = 0;
  for (size_t l = 0; l < raw.size(); ++l) total += raw[l].size(1) / no * raw[l].size(2) * raw[l].size(3);
  Tensor out = Tensor::empty({n, total, no});
  float* dst = out.data<float>();
  for (int64_t b = 0; b < n; ++b) {
    int64_t row = 0;
    for (size_t l = 0; l < raw.size(); ++l) {
      const Tensor r = raw[l].dtype() == DType::F32 ? raw[l] : raw[l].to(DType::F32);
      const int64_t na = r.size(1) / no, H = r.size(2), W = r.size(3);
      const float* src = r.data<float>() + b * na * no * H * W;
      const std::vector<float> anc = anchors[l].to_vector();
      const float s = static_cast<float>(strides[l]);
      for (int64_t a = 0; a < na; ++a)
        for (int64_t y = 0; y < H; ++y)
          for (int64_t x = 0; x < W; ++x, ++row) {
            float* o = dst + (b * total + row) * no;
            auto ch = [&](int64_t k) { return sigmoidf(src[((a * no + k) * H + y) * W + x]); };
            o[0] = (2 * ch(0) - 0.5f + x) * s;
            o[1] = (2 * ch(1) - 0.5f + y) * s;
            const float tw = 2 * ch(2), th = 2 * ch(3);
            o[2] = tw * tw * anc[a * 2] * s;
            o[3] = th * th * anc[a * 2 + 1] * s;
            for (int64_t k = 4; k < no; ++k) o[k] = ch(k);
          }
    }
  }
  return out;
}

ValidationResult validate(TrainableDetector& model, DataLoader& loader, const yolo::LossConfig& loss,
                          const ValidationOptions& options) {
  NoGradGuard no_grad;
  model.set_training(false);
  const int nc = model.num_classes();
  const int na = static_cast<int>(model.anchors()[0].size(0));
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
    const std::vector<Tensor> raw = model.forward(batch.images);
    const yolo::LossResult lr = yolo::yolo_loss(to_loss_layout(raw, na), model.anchors(), batch.targets, loss);
    res.lbox += lr.lbox, res.lobj += lr.lobj, res.lcls += lr.lcls;
    ++batches;
    const auto dets = yolo::non_max_suppression(decode_outputs(raw, model.anchors(), model.strides(), nc), nms);
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
  model.set_training(true);
  return res;
}

}  // namespace yp::train
