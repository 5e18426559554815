// module.cpp: the Module registry (module.h).
#include "layers/module.h"

namespace yp {

void Module::register_parameter(const std::string& name, Tensor* t) {
  t->set_requires_grad(true);
  // Parameters precede buffers in a module's own entries, whatever the registration order.
  auto it = tensors_.begin();
  while (it != tensors_.end() && it->is_parameter) ++it;
  tensors_.insert(it, Entry{name, t, true});
}

void Module::register_buffer(const std::string& name, Tensor* t) { tensors_.push_back(Entry{name, t, false}); }

void Module::register_module(const std::string& name, Module* m) { children_.emplace_back(name, m); }

void Module::collect(const std::string& prefix, bool params, bool buffers, NamedTensorRefs& out) {
  for (const Entry& e : tensors_)
    if ((e.is_parameter && params) || (!e.is_parameter && buffers)) out.emplace_back(prefix + e.name, e.tensor);
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", params, buffers, out);
}

NamedTensorRefs Module::named_parameters(const std::string& prefix) {
  NamedTensorRefs out;
  collect(prefix, true, false, out);
  return out;
}

NamedTensorRefs Module::named_buffers(const std::string& prefix) {
  NamedTensorRefs out;
  collect(prefix, false, true, out);
  return out;
}

NamedTensorRefs Module::state_dict(const std::string& prefix) {
  NamedTensorRefs out;
  collect(prefix, true, true, out);
  return out;
}

int64_t Module::num_parameters() {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t->numel();
  return n;
}

std::vector<Module*> Module::modules() {
  std::vector<Module*> out{this};
  for (auto& [name, child] : children_) {
    const std::vector<Module*> sub = child->modules();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

void Module::to(Device device) {
  for (Entry& e : tensors_) {
    if (!e.tensor->defined() || e.tensor->device() == device) continue;
    const bool trainable = e.tensor->requires_grad();
    Tensor moved = e.tensor->to(device);
    moved.set_name(e.tensor->name()).set_requires_grad(trainable);
    *e.tensor = moved;
  }
  for (auto& [name, child] : children_) child->to(device);
  on_device_change(device);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
  on_mode_change();
}

}  // namespace yp
