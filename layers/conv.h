// conv.h: YOLOv5's Conv block (models/common.py Conv) and the plain biased Conv2d of the Detect head.
//
//   Conv:   y = SiLU(BN(conv2d(x, W)))    W (c2, c1, k, k), no conv bias, padding k/2 unless given
//           BN: eps 1e-3, momentum 0.03 (YOLOv5's initialize_weights), batch statistics in training
//   Conv2d: y = conv2d(x, W) + b          (Detect's 1x1 output convs)
// x is (N, c1, H, W); y is (N, c2, P, Q) with P = (H + 2 pad - k) / s + 1.
// State-dict names: conv.weight, bn.weight, bn.bias, bn.running_mean, bn.running_var,
// bn.num_batches_tracked (Conv); weight, bias (Conv2d).
//
// Inference: fold() computes W' = W gamma/sqrt(var + eps), b' = beta - mean gamma/sqrt(var + eps)
// once (tensor/ops/batchnorm2d.h fold_batchnorm), after which eval-mode forward is one conv2d with
// bias and a SiLU. Going back to training, or loading weights, drops the folded copy. The fold is
// computed on the CPU and lives on the weights' device. num_batches_tracked stays a host counter
// when the module moves to a GPU (it is only ever incremented).
// Initialisation is PyTorch's default for Conv2d (kaiming_uniform with a = sqrt(5), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias) and BN's (gamma 1, beta 0, mean 0, var 1).
// With rng == nullptr the weights are zeros (for counting parameters and FLOPs without drawing them).
#pragma once

#include "layers/module.h"
#include "tensor/ops/batchnorm2d.h"
#include "tensor/random.h"

namespace yp {

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of `shape` (PyTorch's default conv init), zeros when rng is null.
Tensor default_conv_init(const Shape& shape, int64_t fan_in, Rng* rng);

class Conv : public Layer {
 public:
  static constexpr double kBnEps = 1e-3;
  static constexpr double kBnMomentum = 0.03;

  Conv(int c1, int c2, int k, int s, Rng* rng, int padding = -1);

  Tensor forward(const Tensor& x);
  Tensor forward(const std::vector<Tensor>& inputs) override { return forward(inputs.at(0)); }
  Shape output_shape(const std::vector<Shape>& inputs) const override;
  int64_t flops(const std::vector<Shape>& inputs) const override;
  const char* type() const override { return "Conv"; }

  void fold();                     // needs eval mode; see above
  bool folded() const { return folded_.weight.defined(); }
  void unfold() { folded_ = {}; }

  int c1, c2, k, s, padding;
  Tensor weight;                   // conv.weight (c2, c1, k, k)
  Tensor bn_weight, bn_bias;       // bn.weight (gamma), bn.bias (beta), (c2)
  Tensor running_mean, running_var, num_batches_tracked;

 protected:
  void on_mode_change() override { unfold(); }
  void on_device_change(Device device) override;

 private:
  FoldedConv folded_;
};

class Conv2d : public Module {
 public:
  Conv2d(int c1, int c2, int k, Rng* rng);
  Tensor forward(const Tensor& x) const;
  int64_t flops(const Shape& input) const;

  int c1, c2, k;
  Tensor weight, bias;
};

}  // namespace yp
