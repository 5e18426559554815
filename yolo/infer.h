// infer.h: detect.py's pipeline for one picture - letterbox, forward, NMS, boxes back to the picture
// (docs/inference.md), and loading a model for it. The pipeline takes the network as a function, so
// tests can stand in for the model:
//   forward: input (1, 3, H, W) float32 in [0, 1]  ->  decoded predictions (1, n_pred, 5 + nc),
//            cx, cy, w, h in input pixels, obj and class probabilities after the sigmoid (Detect, eval mode).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "yolo/detection.h"
#include "yolo/letterbox.h"
#include "yolo/model.h"
#include "yolo/nms.h"

namespace yp::yolo {

struct DetectOptions {
  int image_size = 640;       // target side; rounded up to a multiple of the stride
  bool square = false;        // pad to image_size x image_size instead of the minimal stride rectangle
  int stride = 32;            // the model's largest stride
  NmsOptions nms = [] {
    NmsOptions o;
    o.max_det = 1000;  // detect.py's value (NMS's own default is 300)
    return o;
  }();
};

using ForwardFn = std::function<Tensor(const Tensor& input)>;

// check_img_size: the smallest multiple of `stride` that is >= size.
int stride_multiple(int size, int stride);

struct PreparedInput {
  LetterboxGeometry geometry;
  Tensor input;  // (1, 3, output_height, output_width) float32 in [0, 1]
};

// Letterboxes an RGB picture (HWC, 8-bit) for the network.
PreparedInput prepare_input(const uint8_t* rgb, int width, int height, const DetectOptions& options);

// NMS on decoded predictions (1, n_pred, 5 + nc) of a letterboxed input, boxes mapped to the picture.
std::vector<Detection> postprocess(const Tensor& decoded, const LetterboxGeometry& geometry,
                                   const DetectOptions& options);

// A network ready for inference and its class names.
struct Detector {
  std::unique_ptr<Model> model;
  std::vector<std::string> names;  // one per class ("classK" where the file names none)
  std::string preprocessing;       // the model file's stored micrograph pre-processing ("" = none)
  ForwardFn forward() const;       // model->predict
};

// Loads a YOLOv5 checkpoint (.pt) or a yolopick model file (.safetensors) with load_model
// (model_file.h: every state-dict tensor must be present with the network's shape), then folds
// BatchNorm for inference (fuse).
// A gray (input_channels 1) model file is accepted; forward() then feeds it the mean of R, G, B.
Detector load_detector(const std::string& path);

// The whole pipeline for one picture; boxes in the picture's pixels, best score first.
std::vector<Detection> detect_picture(const ForwardFn& forward, const uint8_t* rgb, int width, int height,
                                      const DetectOptions& options);

}  // namespace yp::yolo
