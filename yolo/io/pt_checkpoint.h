// pt_checkpoint.h: import an official YOLOv5 checkpoint (yolov5n/s/m/l/x.pt, or a YOLOv5
// last.pt/best.pt) without Python: zip_reader.h finds the entries, pickle.h reads data.pkl into a
// tree without executing anything, and this file turns the tree into weights and metadata.
// See docs/checkpoints.md for the file layout and the object tree.
//
// What comes out:
//   state_dict  exactly PyTorch's model.state_dict(): the module tree is walked as nn.Module does
//               (own _parameters, own _buffers minus _non_persistent_buffers_set, then _modules in
//               order), names joined with '.', e.g. "model.0.conv.weight" ... "model.24.m.2.bias".
//               yolov5n/s give 349 entries. Float tensors keep their stored dtype (F16 in official
//               files, F32/F64 elsewhere; BF16 becomes F32); integer tensors (BatchNorm's
//               num_batches_tracked, int64) become F64 scalars, exact below 2^53. The caller
//               converts with to(DType::F32). Every floating value is checked finite.
//   nc, names   from the model's attributes (names may be a list or a {0: 'person', ...} dict).
//   strides     Model.stride (or Detect.stride), e.g. {8, 16, 32}.
//   anchors     Detect's anchors buffer as F32 [nl, na, 2] in GRID units (pixels / stride), as stored.
//   yaml_text   the embedded model yaml dict rendered in YOLOv5's config grammar (render_yolo_yaml).
// The model used is ckpt['ema'] when present and not None, else ckpt['model'] (a file that is a
// pickled model rather than a dict is accepted too).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "yolo/io/pickle.h"
#include "yolo/io/safetensors.h"
#include "yolo/io/zip_reader.h"

namespace yp::io {

struct PtCheckpoint {
  NamedTensors state_dict;
  int nc = 0;
  std::vector<std::string> names;
  std::vector<float> strides;
  Tensor anchors_grid;       // F32 [nl, na, 2]; undefined when the model has no Detect anchors
  std::string yaml_text;     // "" when the checkpoint embeds no yaml
  int64_t epoch = 0;         // -1 in stripped official files
  std::string date;          // "" when absent
  std::string model_key;     // "ema" or "model" (or "" when the file is a bare model)
  std::string model_class;   // e.g. "models.yolo.Model", "models.yolo.DetectionModel"
};

PtCheckpoint load_pt_checkpoint(const std::string& path);
// The same from an opened archive (tests and fuzzing use ZipReader::from_memory).
PtCheckpoint read_pt_checkpoint(const ZipReader& zip);

// Renders a pickled yaml dict as YOLOv5 config text: "key: value" per top-level key, lists of lists
// as block sequences of flow lists ("  - [-1, 1, Conv, [64, 6, 2, 2]]"), strings bare when they are
// identifiers such as Conv, nn.Upsample, None, nearest (YOLOv5 stores None as the string 'None').
std::string render_yolo_yaml(const PyValue* yaml_dict);

}  // namespace yp::io
