// detector.cpp: load_detector and detect (detector.h).
#include "yolo/detector.h"

#include <algorithm>
#include <memory>


namespace yp::yolo {

Detector load_detector(const std::string& path) {
  LoadedModel loaded = load_model(path);
  std::shared_ptr<Model> network(std::move(loaded.model));
  network->fuse();
  Detector d;
  d.info = std::move(loaded.info);
  d.stride = network->max_stride();
  const InputPipeline& p = d.info.input;
  if (p.channels != 1 && p.channels != 3)
    throw Error(path + ": a " + std::to_string(p.channels) + "-channel model; pictures feed 1 (gray) or 3 channels");
  if (p.rule == InputRule::Letterbox && p.size % d.stride != 0)
    throw Error(path + ": input size " + std::to_string(p.size) + " is not a multiple of the model's stride " +
                std::to_string(d.stride));
  d.forward = [network](const Tensor& x) { return network->predict(x); };
  return d;
}

std::vector<Detection> detect(const Detector& detector, const imgproc::LoadedImage& picture, const NmsOptions& nms,
                              bool square, PictureInputs* used, NmsCapped* capped) {
  InputLayout layout;
  layout.square = square;
  PictureInputs inputs = picture_inputs(picture, detector.input(), detector.stride, layout);
  std::vector<std::vector<Detection>> per_input;
  for (const NetworkInput& in : inputs.inputs) {
    const Tensor decoded = detector.forward(in.input);
    YP_CHECK(decoded.defined() && decoded.dim() == 3 && decoded.size(0) == 1 && decoded.size(2) == 5 + detector.nc(),
             "detect: the model should return decoded predictions (1, n_pred, " + std::to_string(5 + detector.nc()) +
                 "), got " + (decoded.defined() ? shape_str(decoded.shape()) : std::string("nothing")));
    per_input.push_back(non_max_suppression(decoded, nms, capped)[0]);
  }
  std::vector<Detection> dets;
  const double w = picture.image.width, h = picture.image.height;
  for (const DetectionRef& r : merge_detections(inputs, per_input, nms.iou_thres, nms.agnostic)) {
    Detection d = per_input[r.input][r.index];
    const Box<double> b = inputs.inputs[r.input].to_picture(d);
    d.x1 = static_cast<float>(std::clamp(b.x1, 0.0, w));
    d.y1 = static_cast<float>(std::clamp(b.y1, 0.0, h));
    d.x2 = static_cast<float>(std::clamp(b.x2, 0.0, w));
    d.y2 = static_cast<float>(std::clamp(b.y2, 0.0, h));
    dets.push_back(d);
  }
  if (used) *used = std::move(inputs);
  return dets;
}

}  // namespace yp::yolo
