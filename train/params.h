// params.h: what the training loop takes from a yolo::Model - its parameters and the state the EMA and the
// checkpoints carry - and YOLOv5's parameter groups, freezing and state copies.
//
//   model_parameters   the trainable tensors under their state-dict names ("model.0.conv.weight" ..
//                      "model.24.m.2.bias"), in state-dict order, as handles sharing the model's buffers
//   training_state     every float parameter and buffer except BN's num_batches_tracked (a counter, not averaged
//                      by YOLOv5's EMA and never read by our BN), so the EMA and the checkpoints carry the rest
//   batch_counters     those num_batches_tracked counters: last.ckpt carries them too, so a resumed run writes
//                      model files identical to an uninterrupted run's (they are in the state dict)
//
// Parameter groups (train.py smart_optimizer), decided from the names:
//   "bias"    every *.bias (BN beta and the Detect conv bias)      no weight decay
//   "weight"  every other *.weight except BN's                     weight decay
//   "bn"      BN gamma (*.bn.weight)                               no weight decay
// Freezing (train.py --freeze N): parameters whose name contains "model.{i}." for i < N get
// requires_grad = false; they stay in their groups and the optimizer skips them (no gradient).
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "train/optimizer.h"
#include "yolo/model.h"

namespace yp::train {

NamedTensors model_parameters(yolo::Model& model);
NamedTensors training_state(yolo::Model& model);
NamedTensors batch_counters(yolo::Model& model);
// Where the model's parameters are (Module::to moves them): batches go there.
Device model_device(yolo::Model& model);

// The three groups from the parameter names (see above); lr/momentum are set by the schedule.
std::vector<ParamGroup> build_param_groups(const NamedTensors& params, double lr0, double momentum, double weight_decay);

// Sets requires_grad = false on the first n layers ("model.0." .. "model.{n-1}."); returns how many tensors.
int freeze_layers(const NamedTensors& params, int n);

// Copies `from` into the same-named tensors of `to` (shapes must agree); names missing in `from` are an error.
void load_state(const NamedTensors& to, const NamedTensors& from);

}  // namespace yp::train
