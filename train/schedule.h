// schedule.h: YOLOv5's learning-rate schedule, warm-up and early stopping (train.py).
//
// Per epoch e (LambdaLR), lr = lr0 * lf(e):
//   linear  lf(e) = (1 - e/E)(1 - lrf) + lrf
//   cosine  lf(e) = ((1 - cos(e pi / E)) / 2)(lrf - 1) + 1
// Python and numpy round half to even; std::nearbyint does the same (the default rounding mode).
// Warm-up over the first nw = max(round(warmup_epochs * batches_per_epoch), 100) iterations ni (the 100 is
// min_warmup_iterations),
// by linear interpolation over [0, nw]:
//   bias group lr: warmup_bias_lr -> lr0 lf(e); other groups: 0 -> lr0 lf(e);
//   momentum: warmup_momentum -> momentum;  accumulate: 1 -> max(round(64 / batch), 1)
#pragma once

#include <cstdint>

#include "train/optimizer.h"

namespace yp::train {

struct ScheduleConfig {
  int epochs = 100;
  double lr0 = 0.01;
  double lrf = 0.01;
  bool cosine = false;
  double momentum = 0.937;
  double warmup_epochs = 3.0;
  double warmup_momentum = 0.8;
  double warmup_bias_lr = 0.1;
  int batch_size = 16;
  int nominal_batch = 64;
  int min_warmup_iterations = 100;  // YOLOv5's floor of 100; small demos and tests may lower it
};

double lr_lambda(const ScheduleConfig& c, int epoch);
int64_t warmup_iterations(const ScheduleConfig& c, int64_t batches_per_epoch);
int accumulate_steps(const ScheduleConfig& c);                  // after warm-up
double scaled_weight_decay(const ScheduleConfig& c, double wd);  // wd * batch * accumulate / 64

// Sets lr (and momentum during warm-up) of every group for global iteration ni in epoch e, and
// returns how many batches to accumulate before the next optimizer step. Group names "bias" get
// the bias warm-up. Call once per iteration.
int apply_schedule(const ScheduleConfig& c, Optimizer& opt, int epoch, int64_t ni, int64_t batches_per_epoch);

// YOLOv5 EarlyStopping: best is kept when fitness >= best; stop when epoch - best_epoch >= patience.
class EarlyStopping {
 public:
  explicit EarlyStopping(int patience = 100) : patience_(patience) {}
  bool should_stop(int epoch, double fitness);  // records the epoch, returns true to stop
  int best_epoch() const { return best_epoch_; }
  double best_fitness() const { return best_fitness_; }
  void restore(int best_epoch, double best_fitness) {
    best_epoch_ = best_epoch;
    best_fitness_ = best_fitness;
  }

 private:
  int patience_;
  int best_epoch_ = 0;
  double best_fitness_ = 0.0;
};

}  // namespace yp::train
