// sppf.cpp: SPPF (sppf.h).
#include "layers/sppf.h"

#include "tensor/ops/concat.h"
#include "tensor/ops/maxpool2d.h"

namespace yp {

SPPF::SPPF(int c1_, int c2_, int k_, Rng* rng)
    : c1(c1_), c2(c2_), k(k_), cv1(c1_, c1_ / 2, 1, 1, rng), cv2(4 * (c1_ / 2), c2_, 1, 1, rng) {
  YP_CHECK(k % 2 == 1, "SPPF: the pool size must be odd to keep the size, got " + std::to_string(k));
  register_module("cv1", &cv1);
  register_module("cv2", &cv2);
}

Tensor SPPF::forward(const Tensor& x) {
  const Tensor a = cv1.forward(x);
  const Tensor y1 = maxpool2d(a, k, 1, k / 2);
  const Tensor y2 = maxpool2d(y1, k, 1, k / 2);
  const Tensor y3 = maxpool2d(y2, k, 1, k / 2);
  return cv2.forward(concat_channels({a, y1, y2, y3}));
}

Shape SPPF::output_shape(const std::vector<Shape>& inputs) const {
  Shape h = cv1.output_shape(inputs);
  h[1] *= 4;
  return cv2.output_shape({h});
}

int64_t SPPF::flops(const std::vector<Shape>& inputs) const {
  Shape h = cv1.output_shape(inputs);
  h[1] *= 4;
  return cv1.flops(inputs) + cv2.flops({h});
}

}  // namespace yp
