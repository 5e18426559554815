// ema.h: exponential moving average of the model's floating-point state (YOLOv5 ModelEMA).
//   decay(u) = 0.9999 * (1 - exp(-u / 2000)),  u = number of updates so far (after increment)
//   ema = decay * ema + (1 - decay) * model      for every parameter and BN running statistic
// The ramp keeps early updates from being frozen at the random initialisation: decay is ~0 at the
// first step and approaches 0.9999 after ~10k steps. The EMA copy is what validation and saving use.
// The copy lives on the device of the state it was made from (the model's: CPU or CUDA).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace yp::train {

class ModelEMA {
 public:
  // Copies `model_state` (parameters + buffers, by name). `updates` > 0 resumes a run.
  explicit ModelEMA(const NamedTensors& model_state, int64_t updates = 0, double decay = 0.9999, double tau = 2000);

  void update(const NamedTensors& model_state);
  double current_decay() const;  // the decay the next update will use
  int64_t updates() const { return updates_; }
  const NamedTensors& state() const { return ema_; }
  NamedTensors& state() { return ema_; }

 private:
  NamedTensors ema_;
  int64_t updates_;
  double decay_, tau_;
};

}  // namespace yp::train
