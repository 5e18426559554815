// model_weights.cpp: state-dict loading with a report (model_weights.h).
#include "yolo/model_weights.h"

#include <map>

#include "layers/conv.h"
#include "tensor/autograd.h"

namespace yp::yolo {

std::string LoadReport::summary() const {
  std::string s = std::to_string(loaded) + " tensors loaded";
  if (stem_folded) s += " (stem RGB weights summed into 1 input channel)";
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    s += "\n" + std::to_string(names.size()) + " " + what + ":";
    for (const auto& n : names) s += "\n  " + n;
  };
  list("missing (left as initialised)", missing);
  list("unexpected (ignored)", unexpected);
  list("shape-mismatched (left as initialised)", mismatched);
  return s;
}

LoadReport load_state_dict(Model& model, const NamedTensors& state) {
  LoadReport report;
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  const std::string stem = "model.0.conv.weight";
  std::map<std::string, bool> known;
  {
    NoGradGuard no_grad;
    for (auto& [name, target] : model.state_dict()) {
      known[name] = true;
      auto it = given.find(name);
      if (it == given.end()) {
        report.missing.push_back(name);
        continue;
      }
      Tensor src = *it->second;
      if (name == stem && model.input_channels() == 1 && src.dim() == 4 && src.size(1) == 3 &&
          target->shape() == Shape{src.size(0), 1, src.size(2), src.size(3)}) {
        src = fold_rgb_stem(src.to(DType::F64));
        report.stem_folded = true;
      }
      if (src.shape() != target->shape()) {
        report.mismatched.push_back(name + ": file " + shape_str(src.shape()) + " vs model " + shape_str(target->shape()));
        continue;
      }
      target->copy_from(src.to(target->dtype()).to(target->device()));
      ++report.loaded;
    }
  }
  for (const auto& [name, t] : state)
    if (!known.count(name)) report.unexpected.push_back(name);
  // Weights changed: folded inference weights are stale.
  for (Module* m : model.modules())
    if (auto* conv = dynamic_cast<Conv*>(m)) conv->unfold();
  return report;
}

NamedTensors model_state(Model& model) {
  NamedTensors out;
  for (auto& [name, t] : model.state_dict()) out.emplace_back(name, *t);
  return out;
}

}  // namespace yp::yolo
