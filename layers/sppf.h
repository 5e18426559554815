// sppf.h: Spatial Pyramid Pooling - Fast (models/common.py SPPF), the end of the backbone.
//   c_ = c1 / 2;  a = cv1(x);  y1 = mp(a);  y2 = mp(y1);  y3 = mp(y2);  y = cv2(cat(a, y1, y2, y3))
//   mp = MaxPool2d(k, stride 1, padding k/2), k = 5: three chained 5x5 pools see 5x5, 9x9 and 13x13
//   windows, which is the old SPP(5, 9, 13) at a third of the pooling cost.
// cv1: Conv 1x1 c1->c_, cv2: Conv 1x1 4c_->c2. x (N, c1, H, W) -> y (N, c2, H, W). Names cv1.*, cv2.*.
#pragma once

#include "layers/conv.h"

namespace yp {

class SPPF : public Layer {
 public:
  SPPF(int c1, int c2, int k, Rng* rng);
  Tensor forward(const Tensor& x);
  Tensor forward(const std::vector<Tensor>& inputs) override { return forward(inputs.at(0)); }
  Shape output_shape(const std::vector<Shape>& inputs) const override;
  int64_t flops(const std::vector<Shape>& inputs) const override;
  const char* type() const override { return "SPPF"; }

  int c1, c2, k;
  Conv cv1, cv2;
};

}  // namespace yp
