// module.h: the base of every network block (Conv, C3, SPPF, Detect, the whole Model).
//
// A Module owns tensors and child modules and can list them by dotted name the way PyTorch's
// state_dict does: its own parameters, then its own buffers, then each child in registration order,
// with the child's name as a prefix ("cv1.conv.weight", "m.0.cv2.bn.running_var"). Registering a
// member in the constructor is all a block does; names, train/eval and counting come from here.
//
// Modules are neither copied nor moved (the registry points at members); hold them by unique_ptr.
// train()/eval() set the flag on the whole subtree and tell each module through on_mode_change()
// (Conv drops its folded inference weights there).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace yp {

using NamedTensorRefs = std::vector<std::pair<std::string, Tensor*>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Trainable tensors (requires_grad), in state-dict order, names relative to this module.
  NamedTensorRefs named_parameters(const std::string& prefix = "");
  // Non-trainable state (BN running statistics, num_batches_tracked, Detect anchors).
  NamedTensorRefs named_buffers(const std::string& prefix = "");
  // Parameters and buffers interleaved exactly as PyTorch's state_dict() orders them.
  NamedTensorRefs state_dict(const std::string& prefix = "");

  int64_t num_parameters();  // elements of all parameters (YOLOv5's "parameters" count)
  // This module and every descendant, depth first (to find e.g. every Conv with dynamic_cast).
  std::vector<Module*> modules();

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }

  // Moves every parameter and buffer of the subtree to `device` (parameters stay trainable; their
  // gradients are dropped), then tells each module through on_device_change() so that state it
  // keeps outside the registry follows (Conv's folded weights).
  void to(Device device);

 protected:
  void register_parameter(const std::string& name, Tensor* t);
  void register_buffer(const std::string& name, Tensor* t);
  void register_module(const std::string& name, Module* m);
  virtual void on_mode_change() {}
  virtual void on_device_change(Device) {}

 private:
  struct Entry {
    std::string name;
    Tensor* tensor = nullptr;
    bool is_parameter = false;
  };
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensorRefs& out);

  std::vector<Entry> tensors_;  // parameters first, then buffers (PyTorch's order within a module)
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

// Children named "0", "1", ... (PyTorch's Sequential and ModuleList), e.g. C3's "m.0", Detect's "m.2".
template <class T>
class ModuleList : public Module {
 public:
  T& append(std::unique_ptr<T> item) {
    register_module(std::to_string(items_.size()), item.get());
    items_.push_back(std::move(item));
    return *items_.back();
  }
  size_t size() const { return items_.size(); }
  T& operator[](size_t i) { return *items_[i]; }
  const T& operator[](size_t i) const { return *items_[i]; }

 private:
  std::vector<std::unique_ptr<T>> items_;
};

// One entry of the YOLOv5 layer list (models/common.py): a forward from its inputs (one tensor, or
// several for Concat), and from the input shapes alone its output shape and its FLOPs, so that
// strides, GFLOPs and layer tables need no data. FLOPs follow YOLOv5's count (thop on the fused
// model): every convolution costs 2 * output elements * (C_in * k * k + 1), the +1 being the bias
// that the folded BatchNorm leaves; pooling, upsampling and activations are not counted.
class Layer : public Module {
 public:
  virtual Tensor forward(const std::vector<Tensor>& inputs) = 0;
  virtual Shape output_shape(const std::vector<Shape>& inputs) const = 0;
  virtual int64_t flops(const std::vector<Shape>& inputs) const = 0;
  virtual const char* type() const = 0;  // "Conv", "C3", ... as in the yaml
};

}  // namespace yp
