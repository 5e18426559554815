// The SiLU / sigmoid kernels (tensor/cpu/activation.h) on every instruction set this CPU supports: the same
// bits as the plain C++ recipe for any length (tails through masked vectors), and within 2e-6 of the
// double-precision formulas (relative to the value, or for the derivative to |g|: s (1 + x (1 - s)) cancels
// near its zero at x = -1.28), for |x| <= 88. Beyond, e^-x saturates at e^88 (exp_recipe.h): silu(x) for
// x < -88 is x e^-88 instead of ~0, i.e. -5e-37 at x = -89 and -6e-9 at x = -1e30 (activations never get there).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "tensor/cpu/activation.h"
#include "tensor/cpu/isa.h"
#include "tensor/random.h"

using namespace yp;

namespace {

struct IsaGuard {
  CpuIsa saved = cpu_isa();
  ~IsaGuard() { set_cpu_isa(saved); }
};

std::vector<float> inputs() {
  Rng rng(17);
  std::vector<float> x;
  for (int i = 0; i < 997; ++i) x.push_back((float)(rng.uniform(-1, 1) * std::pow(10.0, rng.uniform(-3, 2))));
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 80.f, -80.f, 87.f, -87.f, 88.f, -88.f, 89.f, -89.f, 100.f, -100.f, 1e30f,
                  -1e30f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()})
    x.push_back(v);
  return x;
}

// The upstream gradients of silu_backward: x reversed, infinities replaced by 1.
std::vector<float> gradients(const std::vector<float>& x) {
  std::vector<float> g(x.rbegin(), x.rend());
  for (float& v : g)
    if (std::isinf(v)) v = 1;
  return g;
}

// Every kernel's output for x, concatenated.
std::vector<float> run_all(const std::vector<float>& x, int64_t n) {
  const std::vector<float> g = gradients(x);
  std::vector<float> out(3 * (size_t)n);
  silu_f32(x.data(), out.data(), n);
  sigmoid_f32(x.data(), out.data() + n, n);
  silu_backward_f32(x.data(), g.data(), out.data() + 2 * n, n);
  return out;
}

}  // namespace

TEST(Activation, EveryInstructionSetGivesTheRecipeBits) {
  IsaGuard guard;
  const std::vector<float> x = inputs();
  for (int64_t n : {(int64_t)x.size(), int64_t(1), int64_t(7), int64_t(15), int64_t(17), int64_t(33)}) {
    set_cpu_isa(CpuIsa::Generic);
    const std::vector<float> ref = run_all(x, n);
    for (CpuIsa isa : supported_cpu_isas()) {
      set_cpu_isa(isa);
      const std::vector<float> out = run_all(x, n);
      for (size_t i = 0; i < out.size(); ++i)
        ASSERT_EQ(std::memcmp(&out[i], &ref[i], sizeof(float)), 0)
            << cpu_isa_name(isa) << " n " << n << " output " << i << " (x = " << x[i % (size_t)n] << "): " << out[i]
            << " vs " << ref[i];
    }
  }
}

TEST(Activation, MatchesTheFormulasInDouble) {
  const std::vector<float> x = inputs();
  const int64_t n = (int64_t)x.size();
  const std::vector<float> g = gradients(x);
  const std::vector<float> out = run_all(x, n);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[(size_t)i], s = 1 / (1 + std::exp(-v));
    if (std::fabs(v) > 88) continue;
    const double want[3] = {v * s, s, g[(size_t)i] * s * (1 + v * (1 - s))};
    for (int k = 0; k < 3; ++k) {
      const double got = out[(size_t)(k * n + i)];
      const double scale = k == 2 ? std::max(std::fabs(want[k]), (double)std::fabs(g[(size_t)i])) : std::fabs(want[k]);
      EXPECT_NEAR(got, want[k], 2e-6 * scale + 1e-30) << "kernel " << k << " x = " << v;
    }
  }
}
