// c3.h: YOLOv5's Bottleneck and C3 (models/common.py), the repeated unit of backbone and neck.
//
//   Bottleneck(c1, c2, shortcut, e):  c_ = int(c2 e)
//       y = x + cv2(cv1(x))   if shortcut and c1 == c2      cv1: Conv 1x1 c1->c_, cv2: Conv 3x3 c_->c2
//       y = cv2(cv1(x))       otherwise
//   C3(c1, c2, n, shortcut):  c_ = int(c2 / 2)
//       y = cv3(cat(m(cv1(x)), cv2(x)))                     cv1, cv2: Conv 1x1 c1->c_, cv3: Conv 1x1 2c_->c2
//       m = n Bottlenecks(c_, c_, shortcut, e = 1.0) in sequence; the m branch comes first in the cat.
// Shapes: x (N, c1, H, W) -> y (N, c2, H, W). Names: cv1.*, cv2.*, cv3.*, m.0.cv1.*, m.0.cv2.*, ...
// Backbone C3s use the shortcut, the head's do not (yaml args [c2, False]).
#pragma once

#include "layers/conv.h"

namespace yp {

class Bottleneck : public Module {
 public:
  Bottleneck(int c1, int c2, bool shortcut, double e, Rng* rng);
  Tensor forward(const Tensor& x);
  int64_t flops(const Shape& x) const;

  bool add;  // the residual is used (shortcut and c1 == c2)
  Conv cv1, cv2;
};

class C3 : public Layer {
 public:
  C3(int c1, int c2, int n, bool shortcut, Rng* rng);
  Tensor forward(const Tensor& x);
  Tensor forward(const std::vector<Tensor>& inputs) override { return forward(inputs.at(0)); }
  Shape output_shape(const std::vector<Shape>& inputs) const override;
  int64_t flops(const std::vector<Shape>& inputs) const override;
  const char* type() const override { return "C3"; }

  int c1, c2, n;
  bool shortcut;
  Conv cv1, cv2, cv3;
  ModuleList<Bottleneck> m;
};

}  // namespace yp
