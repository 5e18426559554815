// optimizer.h: YOLOv5's optimizers over three parameter groups (train.py smart_optimizer).
//
//   group 0  biases (BN beta, Detect conv bias)   no weight decay   warm-up lr starts at 0.1
//   group 1  conv weights                         weight decay      warm-up lr starts at 0
//   group 2  BN weights (gamma)                   no weight decay   warm-up lr starts at 0
//
// SGD (PyTorch semantics, Nesterov):   g = grad + wd*p;  buf = mu*buf + g  (buf = g on the first step);
//                                      p -= lr * (g + mu*buf)
// AdamW (decoupled decay, betas = (momentum, 0.999)):
//                                      p *= 1 - lr*wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//                                      p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + 1e-8)
// Gradients are read from each parameter's .grad() (missing = zero, parameter skipped).
// Parameters, gradients and state live on one device (CPU or CUDA): the updates run there
// (tensor/ops/optimizer_update.h), and a state given to set_state (read from a checkpoint) moves there.
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace yp::train {

struct ParamGroup {
  std::string name;            // "bias", "weight", "bn"
  std::vector<Tensor> params;  // handles: updates write through to the model's tensors
  double lr = 0.01;
  double momentum = 0.937;
  double weight_decay = 0.0;
  double initial_lr = 0.01;    // lr0: what the schedule scales (LambdaLR's base_lr)
};

enum class OptimizerKind { SGD, AdamW };

// The optimizer's whole state, so a resumed run continues exactly (one buffer per parameter, in
// group order; Adam keeps two).
struct OptimizerState {
  int64_t steps = 0;
  std::vector<Tensor> first_moment;   // SGD momentum buffer / Adam m
  std::vector<Tensor> second_moment;  // Adam v (empty for SGD)
};

class Optimizer {
 public:
  Optimizer(OptimizerKind kind, std::vector<ParamGroup> groups);

  void step();        // one update of every parameter that has a gradient
  void zero_grad();   // drops every parameter's gradient

  std::vector<ParamGroup>& groups() { return groups_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  OptimizerKind kind() const { return kind_; }
  const OptimizerState& state() const { return state_; }
  void set_state(const OptimizerState& s);

 private:
  OptimizerKind kind_;
  std::vector<ParamGroup> groups_;
  OptimizerState state_;
  Device device_ = Device::CPU;  // of every parameter and state buffer
};

// Scales all gradients so that their global L2 norm is at most max_norm (PyTorch clip_grad_norm_,
// which YOLOv5 calls with 10.0). Returns the norm before clipping. On the GPU the norm costs one
// download of the per-tensor partial sums (tensor/ops/reduce.h sum_of_squares).
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace yp::train
