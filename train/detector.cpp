// detector.cpp: parameter groups, freezing, state copies, the loss layout (detector.h).
#include "train/detector.h"

#include "tensor/ops/permute.h"
#include "util/text.h"

namespace yp::train {

std::vector<ParamGroup> build_param_groups(const NamedTensors& params, double lr0, double momentum, double weight_decay) {
  ParamGroup bias{"bias", {}, lr0, momentum, 0.0, lr0};
  ParamGroup weight{"weight", {}, lr0, momentum, weight_decay, lr0};
  ParamGroup bn{"bn", {}, lr0, momentum, 0.0, lr0};
  for (const auto& [name, t] : params) {
    if (ends_with(name, ".bias")) bias.params.push_back(t);
    else if (ends_with(name, "bn.weight")) bn.params.push_back(t);
    else if (ends_with(name, ".weight")) weight.params.push_back(t);
    else throw Error("build_param_groups: parameter '" + name + "' is neither a weight nor a bias");
  }
  return {bias, weight, bn};
}

int freeze_layers(const NamedTensors& params, int n) {
  int frozen = 0;
  for (const auto& [name, t] : params)
    for (int i = 0; i < n; ++i)
      if (name.find("model." + std::to_string(i) + ".") != std::string::npos) {
        Tensor h = t;
        h.set_requires_grad(false);
        ++frozen;
        break;
      }
  return frozen;
}

void load_state(const NamedTensors& to, const NamedTensors& from) {
  for (const auto& [name, t] : to) {
    const Tensor* src = nullptr;
    for (const auto& kv : from)
      if (kv.first == name) src = &kv.second;
    if (!src) throw Error("load_state: no tensor '" + name + "' in the saved state");
    if (src->shape() != t.shape())
      throw Error("load_state: '" + name + "' has shape " + shape_str(src->shape()) + ", the model " + shape_str(t.shape()));
    Tensor dst = t;
    dst.copy_from(src->dtype() == t.dtype() ? *src : src->to(t.dtype()));
  }
}

std::vector<Tensor> to_loss_layout(const std::vector<Tensor>& raw, int num_anchors) {
  std::vector<Tensor> out;
  for (const Tensor& r : raw) {
    const int64_t n = r.size(0), c = r.size(1), h = r.size(2), w = r.size(3);
    YP_CHECK(c % num_anchors == 0, "to_loss_layout: channels not divisible by the anchor count");
    out.push_back(permute(r.reshape({n, num_anchors, c / num_anchors, h, w}), {0, 1, 3, 4, 2}));
  }
  return out;
}

}  // namespace yp::train
