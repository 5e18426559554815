// optimizer.cpp: see optimizer.h. The per-element updates are tensor/ops/optimizer_update.h (float32, the
// arithmetic in double per element so that SGD and AdamW match PyTorch's formulas to rounding), on the
// parameters' device; the state buffers live beside the parameters.
#include "train/optimizer.h"

#include <cmath>

#include "tensor/ops/optimizer_update.h"
#include "tensor/ops/reduce.h"

namespace yp::train {

namespace {

void check_param(const Tensor& p, const std::string& group, Device device) {
  YP_CHECK(p.defined() && p.dtype() == DType::F32 && p.device() == device,
           "optimizer: parameters of group '" + group + "' must be defined float32 tensors on one device");
}

size_t count_params(const std::vector<ParamGroup>& groups) {
  size_t n = 0;
  for (const auto& g : groups) n += g.params.size();
  return n;
}

}  // namespace

Optimizer::Optimizer(OptimizerKind kind, std::vector<ParamGroup> groups) : kind_(kind), groups_(std::move(groups)) {
  for (const auto& g : groups_)
    if (!g.params.empty() && g.params[0].defined()) {
      device_ = g.params[0].device();
      break;
    }
  for (const auto& g : groups_)
    for (const auto& p : g.params) check_param(p, g.name, device_);
  for (const auto& g : groups_)
    for (const auto& p : g.params) {
      state_.first_moment.push_back(Tensor::zeros(p.shape(), DType::F32, device_));
      if (kind_ == OptimizerKind::AdamW) state_.second_moment.push_back(Tensor::zeros(p.shape(), DType::F32, device_));
    }
}

void Optimizer::set_state(const OptimizerState& s) {
  const size_t n = count_params(groups_);
  YP_CHECK(s.first_moment.size() == n && s.second_moment.size() == (kind_ == OptimizerKind::AdamW ? n : 0),
           "optimizer: saved state has " + std::to_string(s.first_moment.size()) + " buffers for " +
               std::to_string(n) + " parameters");
  size_t i = 0;
  for (const auto& g : groups_)
    for (const auto& p : g.params) {
      YP_CHECK(s.first_moment[i].shape() == p.shape(), "optimizer: saved state shape mismatch for parameter " +
                                                           std::to_string(i) + " of group '" + g.name + "'");
      ++i;
    }
  state_ = s;
  // A saved state is read on the host: its buffers move to the parameters' device.
  for (Tensor& m : state_.first_moment) m = m.to(device_);
  for (Tensor& v : state_.second_moment) v = v.to(device_);
}

void Optimizer::step() {
  ++state_.steps;
  const double t = (double)state_.steps;
  size_t i = 0;
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      const size_t slot = i++;
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (kind_ == OptimizerKind::SGD) {
        sgd_nesterov_update(p, grad, state_.first_moment[slot], g.lr, g.momentum, g.weight_decay);
      } else {
        const double b1 = g.momentum, b2 = 0.999, eps = 1e-8;
        adamw_update(p, grad, state_.first_moment[slot], state_.second_moment[slot], g.lr, b1, b2, g.weight_decay, eps,
                     1 - std::pow(b1, t), 1 - std::pow(b2, t));
      }
    }
  }
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad();
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  std::vector<Tensor> grads;
  for (const auto& p : params) grads.push_back(p.grad());
  const double norm = std::sqrt(sum_of_squares(grads));
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0)
    for (Tensor& g : grads)
      if (g.defined()) scale_update(g, coef);
  return norm;
}

}  // namespace yp::train
