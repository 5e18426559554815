// exp_recipe.h: e^x, sigmoid and SiLU as one sequence of IEEE operations, written once over a vector type so
// that the AVX-512, AVX2 and plain C++ kernels (activation_*.cpp) run the same operations in the same order
// and give the same bits (each lane of a vector is one scalar run of the recipe).
//
//   e^x = 2^n * e^r,  n = round(x / ln 2),  r = x - n ln 2 (ln 2 split in two parts, so r is exact to float)
//   e^r ~ 1 + r + r^2 (p0 + p1 r + p2 r^2 + p3 r^3 + p4 r^4 + p5 r^5), |r| <= ln2 / 2 (Cephes expf's minimax
//   polynomial, error ~1 ulp); x is clamped to [-87.3, 88] so that 2^n stays a normal float: e^x saturates
//   at e^88 = 1.65e38 (so silu(x) for x < -88 is x e^-88, e.g. -6e-9 at x = -1e30, instead of ~0).
//   sigmoid(x) = 1 / (1 + e^-x),  silu(x) = x / (1 + e^-x),  silu'(x) = s (1 + x (1 - s)) with s = sigmoid(x)
// Ops supplies: V set1(float), add, sub, mul, div, fma(a, b, c) = a*b + c fused, min, max, round (to nearest
// even), pow2n(V n) = 2^n for integral n in [-126, 127]; for the array loops at the end also kWidth, load, store
// and load_part / store_part (the first `count` lanes, zeros in the others).
// Included only by the activation kernel files; nothing here is a non-template function, so no copy compiled
// with wide instructions can be shared with code that runs on every CPU.
#pragma once

#include <cstdint>

namespace yp::activation_detail {

template <typename Ops> typename Ops::V exp_recipe(typename Ops::V x) {
  using V = typename Ops::V;
  x = Ops::min(Ops::max(x, Ops::set1(-87.33654f)), Ops::set1(88.0f));
  const V n = Ops::round(Ops::mul(x, Ops::set1(1.44269504088896341f)));
  V r = Ops::fma(n, Ops::set1(-0.693359375f), x);
  r = Ops::fma(n, Ops::set1(2.12194440e-4f), r);
  V p = Ops::set1(1.9875691500e-4f);
  p = Ops::fma(p, r, Ops::set1(1.3981999507e-3f));
  p = Ops::fma(p, r, Ops::set1(8.3334519073e-3f));
  p = Ops::fma(p, r, Ops::set1(4.1665795894e-2f));
  p = Ops::fma(p, r, Ops::set1(1.6666665459e-1f));
  p = Ops::fma(p, r, Ops::set1(5.0000001201e-1f));
  const V e = Ops::add(Ops::fma(p, Ops::mul(r, r), r), Ops::set1(1.0f));
  return Ops::mul(e, Ops::pow2n(n));
}

template <typename Ops> typename Ops::V sigmoid_recipe(typename Ops::V x) {
  const auto one = Ops::set1(1.0f);
  return Ops::div(one, Ops::add(one, exp_recipe<Ops>(Ops::sub(Ops::set1(0.0f), x))));
}

template <typename Ops> typename Ops::V silu_recipe(typename Ops::V x) {
  return Ops::div(x, Ops::add(Ops::set1(1.0f), exp_recipe<Ops>(Ops::sub(Ops::set1(0.0f), x))));
}

// g * silu'(x)
template <typename Ops> typename Ops::V silu_backward_recipe(typename Ops::V x, typename Ops::V g) {
  const auto one = Ops::set1(1.0f);
  const auto s = sigmoid_recipe<Ops>(x);
  return Ops::mul(g, Ops::mul(s, Ops::fma(x, Ops::sub(one, s), one)));
}

// The array loops of activation.h: whole vectors, then the tail through a zero-padded one.
template <typename Ops, typename F> void map_lanes(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + Ops::kWidth <= n; i += Ops::kWidth) Ops::store(y + i, f(Ops::load(x + i)));
  if (i < n) Ops::store_part(y + i, f(Ops::load_part(x + i, n - i)), n - i);
}

template <typename Ops> void silu_loop(const float* x, float* y, int64_t n) {
  map_lanes<Ops>(x, y, n, [](typename Ops::V v) { return silu_recipe<Ops>(v); });
}

template <typename Ops> void sigmoid_loop(const float* x, float* y, int64_t n) {
  map_lanes<Ops>(x, y, n, [](typename Ops::V v) { return sigmoid_recipe<Ops>(v); });
}

template <typename Ops> void silu_backward_loop(const float* x, const float* g, float* dx, int64_t n) {
  int64_t i = 0;
  for (; i + Ops::kWidth <= n; i += Ops::kWidth)
    Ops::store(dx + i, silu_backward_recipe<Ops>(Ops::load(x + i), Ops::load(g + i)));
  if (i < n)
    Ops::store_part(dx + i, silu_backward_recipe<Ops>(Ops::load_part(x + i, n - i), Ops::load_part(g + i, n - i)), n - i);
}

}  // namespace yp::activation_detail
