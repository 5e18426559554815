// c3.cpp: Bottleneck and C3 (c3.h).
#include "layers/c3.h"

#include "tensor/ops/concat.h"
#include "tensor/ops/elementwise.h"

namespace yp {

Bottleneck::Bottleneck(int c1, int c2, bool shortcut, double e, Rng* rng)
    : add(shortcut && c1 == c2), cv1(c1, (int)(c2 * e), 1, 1, rng), cv2((int)(c2 * e), c2, 3, 1, rng) {
  register_module("cv1", &cv1);
  register_module("cv2", &cv2);
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = cv2.forward(cv1.forward(x));
  return add ? yp::add(x, y) : y;
}

int64_t Bottleneck::flops(const Shape& x) const {
  const Shape h = cv1.output_shape({x});
  return cv1.flops({x}) + cv2.flops({h});
}

C3::C3(int c1_, int c2_, int n_, bool shortcut_, Rng* rng)
    : c1(c1_),
      c2(c2_),
      n(n_),
      shortcut(shortcut_),
      cv1(c1_, c2_ / 2, 1, 1, rng),
      cv2(c1_, c2_ / 2, 1, 1, rng),
      cv3(2 * (c2_ / 2), c2_, 1, 1, rng) {
  YP_CHECK(n >= 1, "C3: needs at least one Bottleneck, got n=" + std::to_string(n));
  register_module("cv1", &cv1);
  register_module("cv2", &cv2);
  register_module("cv3", &cv3);
  register_module("m", &m);
  for (int i = 0; i < n; ++i) m.append(std::make_unique<Bottleneck>(c2 / 2, c2 / 2, shortcut, 1.0, rng));
}

Tensor C3::forward(const Tensor& x) {
  Tensor a = cv1.forward(x);
  for (size_t i = 0; i < m.size(); ++i) a = m[i].forward(a);
  return cv3.forward(concat_channels({a, cv2.forward(x)}));
}

Shape C3::output_shape(const std::vector<Shape>& inputs) const {
  const Shape h = cv1.output_shape(inputs);
  return cv3.output_shape({{h[0], 2 * h[1], h[2], h[3]}});
}

int64_t C3::flops(const std::vector<Shape>& inputs) const {
  const Shape h = cv1.output_shape(inputs);
  int64_t f = cv1.flops(inputs) + cv2.flops(inputs) + cv3.flops({{h[0], 2 * h[1], h[2], h[3]}});
  for (size_t i = 0; i < m.size(); ++i) f += m[i].flops(h);
  return f;
}

}  // namespace yp
