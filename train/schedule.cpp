// schedule.cpp: see schedule.h.
#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace yp::train {

namespace {
double interp(double x, double x0, double x1, double y0, double y1) {
  if (x <= x0) return y0;
  if (x >= x1) return y1;
  return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}
}  // namespace

double lr_lambda(const ScheduleConfig& c, int epoch) {
  const double e = epoch, E = c.epochs;
  if (c.cosine) return ((1 - std::cos(e * M_PI / E)) / 2) * (c.lrf - 1) + 1;
  return (1 - e / E) * (1.0 - c.lrf) + c.lrf;
}

int64_t warmup_iterations(const ScheduleConfig& c, int64_t batches_per_epoch) {
  return std::max<int64_t>((int64_t)std::nearbyint(c.warmup_epochs * (double)batches_per_epoch),
                           c.min_warmup_iterations);
}

int accumulate_steps(const ScheduleConfig& c) {
  return std::max(1, (int)std::nearbyint((double)c.nominal_batch / c.batch_size));
}

double scaled_weight_decay(const ScheduleConfig& c, double wd) {
  return wd * c.batch_size * accumulate_steps(c) / c.nominal_batch;
}

int apply_schedule(const ScheduleConfig& c, Optimizer& opt, int epoch, int64_t ni, int64_t batches_per_epoch) {
  const double target = c.lr0 * lr_lambda(c, epoch);
  const int64_t nw = warmup_iterations(c, batches_per_epoch);
  if (ni > nw) {
    for (auto& g : opt.groups()) {
      g.lr = target;
      g.momentum = c.momentum;
    }
    return accumulate_steps(c);
  }
  const double x = (double)ni, w = (double)nw;
  for (auto& g : opt.groups()) {
    g.lr = interp(x, 0, w, g.name == "bias" ? c.warmup_bias_lr : 0.0, target);
    g.momentum = interp(x, 0, w, c.warmup_momentum, c.momentum);
  }
  return std::max(1, (int)std::nearbyint(interp(x, 0, w, 1.0, (double)c.nominal_batch / c.batch_size)));
}

bool EarlyStopping::should_stop(int epoch, double fitness) {
  if (fitness >= best_fitness_) {
    best_epoch_ = epoch;
    best_fitness_ = fitness;
  }
  return epoch - best_epoch_ >= patience_;
}

}  // namespace yp::train
