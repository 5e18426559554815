// model_file.h: our model file - one self-describing safetensors file per trained picker - and the one way to
// read a model from a file (ours or an official YOLOv5 .pt). docs/checkpoints.md section 6.
//
// Tensors: the full state dict under the official names (349 for yolov5n/s), float32 (or float16 when asked).
// Metadata (all strings, safetensors' __metadata__; structured values are JSON):
//   format          "yolopick-model"      format_version  "1"
//   nc              number of classes      names           JSON array of the class names
//   anchors         JSON [[w, h, ...] per level] in input pixels (the yaml's form)    strides  JSON [8, 16, 32]
//   yaml            the architecture in YOLOv5's config grammar (yaml_config.h)
//   input_rule      how pictures became network inputs in training: "letterbox" (yolopick's training) or
//                   "yolov5" (no record: YOLOv5's detect.py letterbox); input_pipeline.h defines both
//   input_size      the square network input the model was trained at
//   input_channels  3, or 1 for a gray model
//   preprocessing   the pre-processing chain its training pictures went through (imgproc::to_text; "" = none)
//   input_pixel_size   A per pixel at the network input (optional: models trained at a physical scale; pictures
//                      are then resampled to it and tiled, input_pipeline.h)
//   particle_diameter  A (optional, only with input_pixel_size): the particle the model was trained to pick
//   data_sha256     SHA-256 of the tensor data (io/safetensors.h), verified on every load; files written
//                   before it (or by other tools) load with a note on stderr that their weights are unverified
//   conf_thresholds    JSON [t per class] in [0, 1] (optional): the calibrated operating point, `pick`'s default
//                      threshold per class (`yolopick calibrate`, docs/picking.md "Calibrated threshold"); absent:
//                      pick's old default 0.25 for every class
//   conf_calibration   one line saying how conf_thresholds were chosen (optional, only with them; for people)
// The stored pre-processing is parsed and checked (imgproc::check_chain) when the metadata is read: a model
// whose chain could never run is refused by info, import, detect and pick at load, naming the file.
// Files written before input_rule existed: "letterbox" when they store a chain or a gray stem (only `yolopick
// train`, which always trains a gray stem, or `import --gray` wrote those), else "yolov5".
// Loading rebuilds the network from yaml + nc + input_channels and requires every tensor to be present with its
// shape; errors name the file. The anchors tensor in the state dict is the truth (AutoAnchor may have changed
// it); the metadata copy is for people and other tools.
// read_model_file / load_model also take official YOLOv5 .pt checkpoints (io/pt_checkpoint.h), told apart by the
// zip signature, so `info`, `detect`, `pick`, `train --model` and `import` take either.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "yolo/io/pt_checkpoint.h"
#include "yolo/input_pipeline.h"
#include "yolo/io/safetensors.h"
#include "yolo/model.h"
#include "yolo/model_weights.h"

namespace yp::yolo {

inline constexpr const char* kModelFileFormat = "yolopick-model";
inline constexpr const char* kModelFileFormatVersion = "1";

// Everything a model file records besides the tensors. Each field is stored under the metadata key of its name
// (anchors_pixels under "anchors"; input under input_rule, input_size, input_channels, preprocessing and, when
// recorded, input_pixel_size and particle_diameter).
// To add a field: a member here, one line in model_info_to_metadata and one in model_info_from_metadata (a key
// that may be absent keeps older files readable), and its row in docs/checkpoints.md.
struct ModelFileInfo {
  int nc = 0;
  std::vector<std::string> names;                  // one per class
  std::vector<std::vector<float>> anchors_pixels;  // [level][2 * na], w,h pairs in input pixels
  std::vector<float> strides;
  std::string yaml;
  InputPipeline input;  // how its training made network inputs from pictures, replayed by pick/detect/train val
  std::vector<float> conf_thresholds;  // one per class, each in [0, 1]; empty = not calibrated
  std::string conf_calibration;        // how they were chosen ("best F1 on ..."); empty without them
};

// "class0", "class1", ... (YOLOv5's names for classes a data set does not name).
std::vector<std::string> default_class_names(int nc);

// The metadata codec: every field validated, and their agreement (nc = number of names, one anchor level per
// stride, w/h pairs, positive numbers). `label` names the file in errors.
std::map<std::string, std::string> model_info_to_metadata(const ModelFileInfo& info);
ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& meta, const std::string& label);

// A model file's (or .pt checkpoint's) record and tensors, without building the network.
struct ModelFileContents {
  ModelFileInfo info;                           // for a .pt: rule yolov5 at 640 px, its yaml's channels
  NamedTensors tensors;                     // the state dict
  std::map<std::string, std::string> metadata;  // as stored (empty for .pt files)
  std::string format;                           // "safetensors" or "pt"
  bool checksum_verified = false;               // a safetensors file whose data_sha256 matched
};
ModelFileContents read_model_file(const std::string& path);

// Writes `tensors` and `info` (validated first: a file we write is a file we can read), atomically.
void write_model_file(const std::string& path, const NamedTensors& tensors, const ModelFileInfo& info,
                      DType store = DType::F32);

// Writes a network: its state dict, and `info`'s names and input record (default names when empty). The
// network's own fields - nc, anchors, strides, yaml, input channels - are taken from `model`.
void save_model(const std::string& path, Model& model, ModelFileInfo info, DType store = DType::F32);

struct LoadedModel {
  std::unique_ptr<Model> model;  // in eval mode, BatchNorm not folded
  ModelFileInfo info;
  std::map<std::string, std::string> metadata;  // as stored (empty for .pt files)
  LoadReport report;
  std::string format;  // "safetensors" or "pt"
};

// The network of a model file or .pt with every tensor in place. input_channels = 1 turns an RGB model into a gray
// one while loading (stem folded); 0 keeps the file's.
LoadedModel load_model(const std::string& path, int input_channels = 0);

// A network for options.nc classes (0: the file's) and options.input_channels built from a model file or .pt by YOLOv5's transfer
// rule (train.py intersect_dicts): every tensor whose name and shape match is copied; with another class count the
// Detect outputs model.N.m.* stay at their initialisation with the bias priors (layers/detect.h). Anything else that
// does not fit (missing, unexpected, or a mismatch outside the Detect outputs) is an error. RGB stem weights are
// summed into a gray stem (fold_rgb_stem). The model is left in training mode.
struct TransferredModel {
  std::unique_ptr<Model> model;
  ModelFileInfo source;  // the file's record (names, input, pre-processing)
  std::string report;    // what was loaded, folded and initialised, for the command's log
};
TransferredModel transfer_model(const std::string& path, const ModelOptions& options);

// True when PATH starts with the zip signature of a PyTorch .pt checkpoint (else: our safetensors model file).
// Throws yp::Error when the file cannot be opened.
bool is_pt_checkpoint(const std::string& path);

}  // namespace yp::yolo
