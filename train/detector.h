// detector.h: what the training loop needs from a detection network, and YOLOv5's parameter groups.
//
// The loop sees a model only through TrainableDetector: a forward pass to the raw Detect maps, its named
// parameters and buffers (state dict names, "model.3.bn.weight"), train/eval mode, and the Detect head's
// anchors and strides, and a way to write itself as the project's model file (yolo/model_file.h).
// The YOLOv5 model implements it in yolo_detector.h.
//
// Parameter groups (train.py smart_optimizer), decided from the names:
//   "bias"    every *.bias (BN beta and the Detect conv bias)      no weight decay
//   "weight"  every other *.weight except BN's                     weight decay
//   "bn"      BN gamma (*.bn.weight)                               no weight decay
// Freezing (train.py --freeze N): parameters whose name contains "model.{i}." for i < N get
// requires_grad = false; they stay in their groups and the optimizer skips them (no gradient).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "train/ema.h"
#include "train/optimizer.h"
#include "yolo/model_file.h"

namespace yp::train {

class TrainableDetector {
 public:
  virtual ~TrainableDetector() = default;
  // images (N, C, S, S) -> per level the raw Detect output (N, na * (5 + nc), S/stride, S/stride).
  virtual std::vector<Tensor> forward(const Tensor& images) = 0;
  virtual NamedTensors named_parameters() = 0;  // trainable tensors, in state-dict order
  virtual NamedTensors state() = 0;             // parameters and float buffers (BN running stats)
  virtual void set_training(bool training) = 0;
  virtual std::vector<Tensor> anchors() const = 0;  // per level (na, 2), grid units
  virtual std::vector<int> strides() const = 0;
  virtual int num_classes() const = 0;
  virtual int input_channels() const = 0;  // C above: 1 for a gray stem
  // The current weights (and BN statistics) as a model file with `info`'s names and input fields, atomically.
  virtual void save_model_file(const std::string& path, const yolo::ModelFileInfo& info) = 0;
};

// The three groups from the parameter names (see above); lr/momentum are set by the schedule.
std::vector<ParamGroup> build_param_groups(const NamedTensors& params, double lr0, double momentum, double weight_decay);

// Sets requires_grad = false on the first n layers ("model.0." .. "model.{n-1}."); returns how many tensors.
int freeze_layers(const NamedTensors& params, int n);

// Copies `from` into the same-named tensors of `to` (shapes must agree); names missing in `from` are an error.
void load_state(const NamedTensors& to, const NamedTensors& from);

// Raw level outputs (N, na*no, H, W) -> (N, na, H, W, no), the layout yolo_loss takes.
std::vector<Tensor> to_loss_layout(const std::vector<Tensor>& raw, int num_anchors);

}  // namespace yp::train
