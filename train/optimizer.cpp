// optimizer.cpp: see optimizer.h. The loops run on the CPU in float32 with the arithmetic in
// double per element so that SGD and AdamW match PyTorch's formulas to rounding.
#include "train/optimizer.h"

#include <cmath>

namespace yp::train {

namespace {

void check_param(const Tensor& p, const std::string& group) {
  YP_CHECK(p.defined() && p.dtype() == DType::F32 && p.device() == Device::CPU,
           "optimizer: parameters of group '" + group + "' must be defined float32 CPU tensors");
}

size_t count_params(const std::vector<ParamGroup>& groups) {
  size_t n = 0;
  for (const auto& g : groups) n += g.params.size();
  return n;
}

}  // namespace

Optimizer::Optimizer(OptimizerKind kind, std::vector<ParamGroup> groups) : kind_(kind), groups_(std::move(groups)) {
  for (const auto& g : groups_)
    for (const auto& p : g.params) check_param(p, g.name);
  for (const auto& g : groups_)
    for (const auto& p : g.params) {
      state_.first_moment.push_back(Tensor::zeros(p.shape()));
      if (kind_ == OptimizerKind::AdamW) state_.second_moment.push_back(Tensor::zeros(p.shape()));
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
      float* w = p.data<float>();
      const float* dw = grad.data<float>();
      float* m = state_.first_moment[slot].data<float>();
      const int64_t n = p.numel();
      if (kind_ == OptimizerKind::SGD) {
        // PyTorch starts the buffer at g; starting at zero gives the same buf = mu*0 + g.
        for (int64_t k = 0; k < n; ++k) {
          const double gk = (double)dw[k] + g.weight_decay * w[k];
          const double buf = g.momentum * m[k] + gk;
          m[k] = (float)buf;
          w[k] = (float)(w[k] - g.lr * (gk + g.momentum * buf));
        }
      } else {
        float* v = state_.second_moment[slot].data<float>();
        const double b1 = g.momentum, b2 = 0.999, eps = 1e-8;
        const double c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
        for (int64_t k = 0; k < n; ++k) {
          const double wk = w[k] * (1 - g.lr * g.weight_decay);
          m[k] = (float)(b1 * m[k] + (1 - b1) * dw[k]);
          v[k] = (float)(b2 * v[k] + (1 - b2) * (double)dw[k] * dw[k]);
          w[k] = (float)(wk - g.lr * (m[k] / c1) / (std::sqrt(v[k] / c2) + eps));
        }
      }
    }
  }
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad();
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  double sq = 0;
  for (const auto& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const float* d = g.data<float>();
    for (int64_t k = 0; k < g.numel(); ++k) sq += (double)d[k] * d[k];
  }
  const double norm = std::sqrt(sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      float* d = g.data<float>();
      for (int64_t k = 0; k < g.numel(); ++k) d[k] = (float)(d[k] * coef);
    }
  }
  return norm;
}

}  // namespace yp::train
