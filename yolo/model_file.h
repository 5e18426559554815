// model_file.h: our model file - one self-describing safetensors file per trained picker.
//
// Tensors: the full state dict under the official names (349 for yolov5n/s), float32 (or float16
// when asked). Metadata (all strings, safetensors' __metadata__):
//   format          "yolopick-model"      format_version  "1"
//   yaml            the architecture in YOLOv5's config grammar (yaml_config.h)
//   nc              number of classes      names           JSON array of the class names
//   input_channels  3, or 1 for gray       input_size      the training/inference image side
//   anchors         JSON [[w, h, ...] per level] in pixels  strides  JSON [8, 16, 32]
//   preprocessing   an opaque string from the caller (the picker's micrograph pre-processing chain)
// Loading rebuilds the network from yaml + nc + input_channels and requires every tensor to be
// present with its shape; errors name the file. The anchors tensor in the state dict is the truth
// (AutoAnchor may have changed it); the metadata copy is for people and other tools.
// load_model also reads official YOLOv5 .pt checkpoints (io/pt_checkpoint.h), told apart by the
// zip signature, so `info`, `detect` and `import` take either.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "yolo/model.h"
#include "yolo/model_weights.h"

namespace yp::yolo {

struct ModelFileInfo {
  std::vector<std::string> names;  // empty: "0", "1", ... are used
  int input_size = 640;
  std::string preprocessing;
};

void save_model(const std::string& path, Model& model, const ModelFileInfo& info, DType store = DType::F32);

struct LoadedModel {
  std::unique_ptr<Model> model;
  ModelFileInfo info;
  std::map<std::string, std::string> metadata;  // as stored (empty for .pt files)
  LoadReport report;
  std::string format;  // "safetensors" or "pt"
};

// options.input_channels = 1 turns an RGB model into a gray one while loading (stem folded).
LoadedModel load_model(const std::string& path, int input_channels = 0);

// True when PATH starts with the zip signature of a PyTorch .pt checkpoint (else: our safetensors model file).
// Throws yp::Error when the file cannot be opened.
bool is_pt_checkpoint(const std::string& path);

}  // namespace yp::yolo
