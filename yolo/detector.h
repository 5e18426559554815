// detector.h: a network ready for inference - the one way `detect`, `pick` and the benchmarks hold a runnable
// model - and detect.py's pipeline for one picture: the network input as the model file records it
// (input_pipeline.h), forward, NMS, boxes back to the picture (docs/inference.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "imgproc/image_io.h"
#include "tensor/tensor.h"
#include "yolo/detection.h"
#include "yolo/input_pipeline.h"
#include "yolo/model_file.h"
#include "yolo/nms.h"

namespace yp::yolo {

// The network as a function, so tests can stand in for it:
//   input (1, C, H, W) float32 in [0, 1]  ->  decoded predictions (1, n_pred, 5 + nc): cx, cy, w, h in input
//   pixels, obj and class probabilities after the sigmoid (Detect in eval mode).
using ForwardFn = std::function<Tensor(const Tensor& input)>;

struct Detector {
  ForwardFn forward;
  ModelFileInfo info;  // class names (nc of them) and the input pipeline record, among the rest
  int stride = 32;     // the network's largest stride
  int nc() const { return info.nc; }
  const std::vector<std::string>& names() const { return info.names; }
  const InputPipeline& input() const { return info.input; }
};

// Loads a YOLOv5 .pt or a yolopick model file (load_model: every tensor in place), folds BatchNorm into the convs
// (Model::fuse) and checks that its record can be replayed: 1 or 3 input channels, a letterbox input size that is a
// multiple of the stride, a readable chain. Errors name the file.
Detector load_detector(const std::string& path);

// One picture: its network inputs (picture_inputs: the whole picture, or tiles at the model's scale; `square` only
// matters for rule yolov5), forward and NMS per input, merged as pick merges them (merge_detections; classes apart
// unless nms.agnostic), boxes in the picture's pixels clipped to it; best score first. A model with a scale needs
// picture.pixel_size (set_pixel_size). `used` (optional) receives the inputs (their tensors included), `capped` what
// the NMS caps cut.
std::vector<Detection> detect(const Detector& detector, const imgproc::LoadedImage& picture, const NmsOptions& nms,
                              bool square = false, PictureInputs* used = nullptr, NmsCapped* capped = nullptr);

}  // namespace yp::yolo
