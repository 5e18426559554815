// model_file.h: the yolopick model file, one self-describing safetensors file per trained picker
// (see docs/checkpoints.md, "Our model file").
//
// Tensors: the model's state_dict under PyTorch's names ("model.0.conv.weight", ...), F32 or F16.
// __metadata__ (all values are strings, as safetensors requires; structured ones are JSON). The keys
// are the ones yolo/model_file.h (save_model / load_model) writes and reads:
//   format          "yolopick-model"      format_version  "1"
//   nc              "2"
//   names           ["particle", "ice"]
//   anchors         [[10,13, 16,30, 33,23], ...]   per level, w,h pairs in input pixels (the yaml's form)
//   strides         [8, 16, 32]
//   yaml            the model config text (yaml_config.h grammar)
//   input_size      "640"   the square network input the model was trained at
//   input_channels  "3" (or "1" for a gray model)
//   preprocessing   the picker's pre-processing settings, an opaque string (optional, "" when absent)
// Loading validates every field and their agreement (names per class, anchors per stride level).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/safetensors.h"

namespace yp::io {

inline constexpr const char* kModelFileFormat = "yolopick-model";
inline constexpr const char* kModelFileFormatVersion = "1";

struct ModelFileInfo {
  int nc = 0;
  std::vector<std::string> names;
  std::vector<std::vector<float>> anchors_pixels;  // [level][2 * na]
  std::vector<float> strides;
  std::string yaml;
  int input_size = 640;
  int channels = 3;           // metadata key input_channels
  std::string preprocessing;  // opaque to this layer
};

struct ModelFile {
  ModelFileInfo info;
  NamedTensors tensors;
};

std::map<std::string, std::string> model_info_to_metadata(const ModelFileInfo& info);
ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& meta, const std::string& label);

void save_model_file(const std::string& path, const NamedTensors& tensors, const ModelFileInfo& info,
                     DType store = DType::F32);
ModelFile load_model_file(const std::string& path);

// The metadata of an imported checkpoint: anchors back to pixels (grid units x stride).
ModelFileInfo model_info_from_checkpoint(const PtCheckpoint& ck, int input_size = 640);

}  // namespace yp::io
