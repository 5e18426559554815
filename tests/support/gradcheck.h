// gradcheck.h: central finite differences in double precision.
//
// For a function f(inputs) -> Tensor, the check reduces the output to a scalar L = sum(w * f) with
// fixed random weights w (so every output element matters and errors cannot cancel), runs
// backward once for the analytic gradients, then perturbs every input element by +-h:
//   dL/dx_i ~= (L(x + h e_i) - L(x - h e_i)) / 2h,   h = 1e-6, error O(h^2) ~ 1e-12 relative
// and compares with |analytic - numeric| <= atol + rtol |numeric| (defaults 1e-6 / 1e-5).
// Inputs must be float64 CPU tensors that require grad.
#pragma once

#include <functional>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/random.h"
#include "tests/support/compare.h"

namespace yp::test {

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

inline double weighted_sum(const Tensor& y, const Tensor& w) {
  double s = 0;
  const double* py = y.data<double>();
  const double* pw = w.data<double>();
  for (int64_t i = 0; i < y.numel(); ++i) s += py[i] * pw[i];
  return s;
}

// Returns success, or the first input whose gradient disagrees with the numeric one.
inline ::testing::AssertionResult gradcheck(const TensorFn& f, std::vector<Tensor> inputs, double atol = 1e-6,
                                            double rtol = 1e-5, double h = 1e-6, uint64_t seed = 1234) {
  for (auto& x : inputs) {
    if (x.dtype() != DType::F64) return ::testing::AssertionFailure() << "gradcheck needs float64 inputs";
    x.zero_grad();
  }
  Tensor y = f(inputs);
  Rng rng(seed);
  const Tensor w = randn(y.shape(), rng, DType::F64);
  // Analytic: dL/dy = w.
  y.backward(w);

  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    const Tensor analytic = x.grad();
    std::vector<double> numeric((size_t)x.numel());
    double* px = x.data<double>();
    NoGradGuard no_grad;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double orig = px[i];
      px[i] = orig + h;
      const double lp = weighted_sum(f(inputs), w);
      px[i] = orig - h;
      const double lm = weighted_sum(f(inputs), w);
      px[i] = orig;
      numeric[(size_t)i] = (lp - lm) / (2 * h);
    }
    if (!analytic.defined()) {
      bool all_zero = true;
      for (double v : numeric) all_zero = all_zero && std::fabs(v) <= atol;
      if (all_zero) continue;
      return ::testing::AssertionFailure() << "input " << k << ": no gradient reached it, numeric is non-zero";
    }
    auto r = all_close(to_doubles(analytic), numeric, atol, rtol);
    if (!r) return ::testing::AssertionFailure() << "input " << k << " " << shape_str(x.shape()) << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

// A float64 CPU tensor of N(0,1) values that requires grad.
inline Tensor rand_param(const Shape& shape, Rng& rng) {
  Tensor t = randn(shape, rng, DType::F64);
  t.set_requires_grad(true);
  return t;
}

}  // namespace yp::test
