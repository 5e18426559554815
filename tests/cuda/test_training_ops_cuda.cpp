// test_training_ops_cuda.cpp: the GPU pieces of a training step - BCE-with-logits loss and its
// gradients, SGD (Nesterov), AdamW, EMA and clipping's rescale - against the CPU formulas written out here
// (the kernels) and against the CPU loops of tensor/ops/optimizer_update.h (the ops on CUDA tensors).
#include <cmath>
#include <cstring>

#include "cuda_kernels/bce_with_logits.h"
#include "cuda_kernels/optimizer_update.h"
#include "tensor/ops/optimizer_update.h"
#include "tensor/random.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

TEST(CudaBce, ForwardAndBackward) {
  YP_REQUIRE_CUDA();
  const size_t n = 5003;
  const auto z = random_floats(n, 1, -20.f, 20.f), t = random_floats(n, 2, 0.f, 1.f);
  for (float pw : {1.f, 2.5f}) {
    const float g = 0.7f;
    double sum = 0;
    std::vector<double> dz(n), dt(n);
    for (size_t i = 0; i < n; ++i) {
      const double zi = z[i], ti = t[i], w = 1 + (pw - 1.0) * ti;
      const double sp = std::max(-zi, 0.0) + std::log1p(std::exp(-std::fabs(zi)));
      sum += (1 - ti) * zi + w * sp;
      dz[i] = g * ((1 - ti) - w / (1 + std::exp(zi))) / n;
      dt[i] = g * (-zi + (pw - 1.0) * sp) / n;
    }
    DeviceArray<float> z_d(z), t_d(t), loss(1), g_d(std::vector<float>{g}), dz_d(n), dt_d(n);
    loss.poison();
    dz_d.poison();
    dt_d.poison();
    cuda::bce_with_logits_forward(z_d.get(), t_d.get(), (int64_t)n, pw, loss.get());
    cuda::bce_with_logits_backward(z_d.get(), t_d.get(), g_d.get(), (int64_t)n, pw, dz_d.get(), dt_d.get());
    EXPECT_TRUE(close_to_ref(loss.download(), {sum / n}, kTolFP32)) << "pos_weight " << pw;
    EXPECT_TRUE(close_to_ref(dz_d.download(), dz, kTolFP32)) << "pos_weight " << pw;
    EXPECT_TRUE(close_to_ref(dt_d.download(), dt, kTolFP32)) << "pos_weight " << pw;
  }
}

TEST(CudaOptimizer, SgdAdamWEmaMatchTheCpuLoops) {
  YP_REQUIRE_CUDA();
  const size_t n = 3001;
  const auto p0 = random_floats(n, 10), g = random_floats(n, 11), buf0 = random_floats(n, 12),
             v0 = random_floats(n, 13, 0.f, 1.f);
  const double lr = 0.01, mu = 0.937, wd = 5e-4;
  // SGD, the loop of train/optimizer.cpp.
  std::vector<double> p_ref(n), buf_ref(n);
  for (size_t k = 0; k < n; ++k) {
    const double gk = (double)g[k] + wd * p0[k];
    const double b = mu * buf0[k] + gk;
    buf_ref[k] = (float)b;
    p_ref[k] = (float)(p0[k] - lr * (gk + mu * b));
  }
  DeviceArray<float> p(p0), gd(g), buf(buf0);
  cuda::sgd_nesterov_update(p.get(), gd.get(), buf.get(), (int64_t)n, lr, mu, wd);
  EXPECT_TRUE(close_to_ref(p.download(), p_ref, 1e-6)) << "sgd param";
  EXPECT_TRUE(close_to_ref(buf.download(), buf_ref, 1e-6)) << "sgd buffer";

  // AdamW at step t = 3.
  const double b1 = mu, b2 = 0.999, eps = 1e-8, t = 3, c1 = 1 - std::pow(b1, t), c2 = 1 - std::pow(b2, t);
  std::vector<double> pa_ref(n), m_ref(n), v_ref(n);
  for (size_t k = 0; k < n; ++k) {
    const double wk = p0[k] * (1 - lr * wd);
    const float mk = (float)(b1 * buf0[k] + (1 - b1) * g[k]);
    const float vk = (float)(b2 * v0[k] + (1 - b2) * (double)g[k] * g[k]);
    m_ref[k] = mk;
    v_ref[k] = vk;
    pa_ref[k] = (float)(wk - lr * (mk / c1) / (std::sqrt(vk / c2) + eps));
  }
  DeviceArray<float> pa(p0), m(buf0), v(v0);
  cuda::adamw_update(pa.get(), gd.get(), m.get(), v.get(), (int64_t)n, lr, b1, b2, wd, eps, c1, c2);
  EXPECT_TRUE(close_to_ref(pa.download(), pa_ref, 1e-6)) << "adamw param";
  EXPECT_TRUE(close_to_ref(m.download(), m_ref, 1e-6)) << "adamw m";
  EXPECT_TRUE(close_to_ref(v.download(), v_ref, 1e-6)) << "adamw v";

  // EMA.
  const double d = 0.9999 * (1 - std::exp(-5.0 / 2000));
  std::vector<double> ema_ref(n);
  for (size_t k = 0; k < n; ++k) ema_ref[k] = (float)(d * buf0[k] + (1 - d) * p0[k]);
  DeviceArray<float> ema(buf0), model(p0);
  cuda::ema_update(ema.get(), model.get(), (int64_t)n, d);
  EXPECT_TRUE(close_to_ref(ema.download(), ema_ref, 1e-6)) << "ema";
}

// The ops of tensor/ops/optimizer_update.h on `device` against the same ops on CPU tensors: every state they
// write, after two steps (so the second reads what the first wrote). The formulas are computed in double on
// both sides and rounded once; where nvcc and the host compiler fuse a multiply-add differently the result
// moves by an ulp, hence 1e-6 relative (a wrong term changes it by far more than lr * 1e-6).
void check_updates(Device device) {
  Rng rng(21);
  const Shape shape{3, 1031};
  const Tensor p0 = randn(shape, rng), g = randn(shape, rng), m0 = randn(shape, rng),
               v0 = rand_uniform(shape, 0.0, 1.0, rng);
  const double tol = device == Device::CPU ? 0.0 : 1e-6;
  struct State {
    Tensor p, m, v;
  };
  const auto fresh = [&](Device d) { return State{p0.clone().to(d), m0.clone().to(d), v0.clone().to(d)}; };
  const auto expect_close = [&](const Tensor& got, const Tensor& ref, const char* what) {
    EXPECT_EQ(got.device(), device) << what;
    EXPECT_TRUE(close_to_ref(got.to_vector(), to_doubles(ref), tol)) << what;
  };
  {
    State c = fresh(Device::CPU), d = fresh(device);
    for (int step = 0; step < 2; ++step) {
      sgd_nesterov_update(c.p, g, c.m, 0.01, 0.937, 5e-4);
      sgd_nesterov_update(d.p, g.to(device), d.m, 0.01, 0.937, 5e-4);
    }
    expect_close(d.p, c.p, "sgd param");
    expect_close(d.m, c.m, "sgd momentum");
  }
  {
    State c = fresh(Device::CPU), d = fresh(device);
    for (int t = 1; t <= 2; ++t) {
      const double c1 = 1 - std::pow(0.9, t), c2 = 1 - std::pow(0.999, t);
      adamw_update(c.p, g, c.m, c.v, 0.001, 0.9, 0.999, 0.05, 1e-8, c1, c2);
      adamw_update(d.p, g.to(device), d.m, d.v, 0.001, 0.9, 0.999, 0.05, 1e-8, c1, c2);
    }
    expect_close(d.p, c.p, "adamw param");
    expect_close(d.m, c.m, "adamw m");
    expect_close(d.v, c.v, "adamw v");
  }
  {
    State c = fresh(Device::CPU), d = fresh(device);
    ema_update(c.m, c.p, 0.63);
    ema_update(d.m, d.p, 0.63);
    expect_close(d.m, c.m, "ema");
    scale_update(c.p, 0.37);
    scale_update(d.p, 0.37);
    expect_close(d.p, c.p, "scale");
  }
  State c = fresh(Device::CPU);
  Tensor wrong_shape = Tensor::zeros({3});
  EXPECT_THROW(sgd_nesterov_update(c.p, g, wrong_shape, 0.01, 0.9, 0), Error);
  EXPECT_THROW(ema_update(c.m, Tensor::zeros(shape, DType::F64), 0.5), Error);
}

TEST(CudaOptimizerHarness, CpuOpsAgreeWithThemselves) { check_updates(Device::CPU); }

TEST(CudaOptimizer, TensorOpsMatchTheCpuOps) {
  YP_REQUIRE_CUDA();
  check_updates(Device::CUDA);
}

}  // namespace
}  // namespace yp::test
