// ema.cpp: see ema.h. The update is tensor/ops/optimizer_update.h's ema_update, on the model's device.
#include "train/ema.h"

#include <cmath>

#include "tensor/ops/optimizer_update.h"

namespace yp::train {

ModelEMA::ModelEMA(const NamedTensors& model_state, int64_t updates, double decay, double tau)
    : updates_(updates), decay_(decay), tau_(tau) {
  for (const auto& [name, t] : model_state) ema_.emplace_back(name, t.detach().clone());
}

double ModelEMA::current_decay() const { return decay_ * (1 - std::exp(-(double)(updates_ + 1) / tau_)); }

void ModelEMA::update(const NamedTensors& model_state) {
  YP_CHECK(model_state.size() == ema_.size(), "EMA: model has " + std::to_string(model_state.size()) +
                                                  " tensors, EMA has " + std::to_string(ema_.size()));
  const double d = current_decay();
  ++updates_;
  for (size_t i = 0; i < ema_.size(); ++i) {
    YP_CHECK(model_state[i].first == ema_[i].first && model_state[i].second.shape() == ema_[i].second.shape(),
             "EMA: tensor " + std::to_string(i) + " is '" + model_state[i].first + "', expected '" + ema_[i].first + "'");
    ema_update(ema_[i].second, model_state[i].second.to(DType::F32), d);
  }
}

}  // namespace yp::train
