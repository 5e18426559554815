// params.cpp: the model's parameters and state, parameter groups, freezing, state copies (params.h).
#include "train/params.h"

#include "util/text.h"

namespace yp::train {

NamedTensors model_parameters(yolo::Model& model) {
  NamedTensors out;
  for (const auto& [name, t] : model.named_parameters()) out.emplace_back(name, *t);
  return out;
}

NamedTensors training_state(yolo::Model& model) {
  NamedTensors out;
  for (const auto& [name, t] : model.state_dict())
    if (!ends_with(name, "num_batches_tracked")) out.emplace_back(name, *t);
  return out;
}

NamedTensors batch_counters(yolo::Model& model) {
  NamedTensors out;
  for (const auto& [name, t] : model.state_dict())
    if (ends_with(name, "num_batches_tracked")) out.emplace_back(name, *t);
  return out;
}

Device model_device(yolo::Model& model) {
  const NamedTensorRefs params = model.named_parameters();
  return params.empty() ? Device::CPU : params[0].second->device();
}

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

}  // namespace yp::train
