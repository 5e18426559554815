// model_file.h: the yolopick model file, one self-describing safetensors file per trained picker
// (see docs/checkpoints.md, "Our model file").
//
// Tensors: the model's state_dict under PyTorch's names ("model.0.conv.weight", ...), F32 or F16.
// __metadata__ (all values are strings, as safetensors requires; structured ones are JSON):
//   format       "yolopick.model/1"
//   nc           "2"
//   names        ["particle", "ice"]
//   anchors      [[10,13, 16,30, 33,23], ...]   per level, w,h pairs in input pixels (the yaml's form)
//   strides      [8, 16, 32]
//   yaml         the model config text (yaml_config.h grammar)
//   input_size   "640"   the square network input the model was trained at
//   channels     "3"
//   preprocess   {...}   the picker's pre-processing settings as a JSON object ("{}" when none)
// Loading validates every field and their agreement (names per class, anchors per stride level).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/safetensors.h"

namespace yp::io {

inline constexpr const char* kModelFileFormat = "yolopick.model/1";

struct ModelFileInfo {
  int nc = 0;
  std::vector<std::string> names;
  std::vector<std::vector<float>> anchors_pixels;  // [level][2 * na]
  std::vector<float> strides;
  std::string yaml;
  int input_size = 640;
  int channels = 3;
  std::string preprocess_json = "{}";
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
