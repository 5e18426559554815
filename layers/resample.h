// resample.h: the two parameter-free layers of the neck.
//   Upsample (nn.Upsample(None, s, 'nearest')): (N, C, H, W) -> (N, C, sH, sW), y[i, j] = x[i/s, j/s]
//   Concat (dim 1): (N, C_i, H, W) for each input -> (N, sum C_i, H, W), in the order of `from`
//   ([-1, 6] puts the previous layer's output first).
#pragma once

#include "layers/module.h"

namespace yp {

class Upsample : public Layer {
 public:
  explicit Upsample(int scale);
  Tensor forward(const std::vector<Tensor>& inputs) override;
  Shape output_shape(const std::vector<Shape>& inputs) const override;
  int64_t flops(const std::vector<Shape>&) const override { return 0; }
  const char* type() const override { return "nn.Upsample"; }
  int scale;
};

class Concat : public Layer {
 public:
  Tensor forward(const std::vector<Tensor>& inputs) override;
  Shape output_shape(const std::vector<Shape>& inputs) const override;
  int64_t flops(const std::vector<Shape>&) const override { return 0; }
  const char* type() const override { return "Concat"; }
};

}  // namespace yp
