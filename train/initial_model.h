// initial_model.h: the network a training run starts from (`yolopick train --model`).
//
//   "*.yaml" or a built-in name ("yolov5n" .. "yolov5x")   from scratch: YOLOv5's initialisation and priors
//   "*.pt" (official checkpoint) or "*.safetensors" (our model file)   the weights, transferred as train.py does
//        (yolo::transfer_model: every tensor whose name and shape match is copied; another class count keeps all
//        but the Detect outputs, which start from the bias priors; anything else that does not fit is an error)
//   input_channels = 1 builds the gray stem; RGB stem weights are summed into it (fold_rgb_stem), which is
//   exactly the RGB network on the gray value replicated three times.
// The model is returned in training mode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "yolo/model.h"
#include "yolo/model_file.h"

namespace yp::train {

struct InitialModel {
  std::unique_ptr<yolo::Model> model;
  std::string report;         // what was loaded / transferred / initialised, for the command's log
  yolo::ModelFileInfo source; // the record of the file it came from (names, input, pre-processing); empty otherwise
};

InitialModel initial_model(const std::string& spec, int nc, int input_channels, uint64_t seed);

}  // namespace yp::train
