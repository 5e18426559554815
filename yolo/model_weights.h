// model_weights.h: putting a state dict (a checkpoint's, or our model file's) into a Model.
//
// Every tensor of the state dict whose name and shape match the model's is copied (converted to
// the model's dtype; official files store F16, num_batches_tracked as an integer). What does not
// match is reported, never silently dropped:
//   missing      the model has it, the state dict does not (left as initialised)
//   unexpected   the state dict has it, the model does not (ignored)
//   mismatched   both have it with different shapes (left as initialised)
// This is YOLOv5's transfer rule (train.py intersect_dicts): a model built for another nc keeps
// everything but the six Detect output tensors model.24.m.{0,1,2}.{weight,bias}, which stay at
// their initialisation with the bias priors (layers/detect.h).
// The one shape change that is not a mismatch: RGB stem weights (c2, 3, k, k) loaded into a
// one-channel model are summed over the input channels (fold_rgb_stem in model.h).
#pragma once

#include <string>
#include <vector>

#include "yolo/io/safetensors.h"
#include "yolo/model.h"

namespace yp::yolo {

struct LoadReport {
  int loaded = 0;
  std::vector<std::string> missing, unexpected, mismatched;  // mismatched: "name: file [..] vs model [..]"
  bool stem_folded = false;                                   // RGB stem summed into one channel
  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string summary() const;                                // multi-line, for the commands
};

LoadReport load_state_dict(Model& model, const NamedTensors& state);

// The model's state dict as (name, tensor) pairs sharing the model's buffers (for saving).
NamedTensors model_state(Model& model);

}  // namespace yp::yolo
