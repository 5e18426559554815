// batchnorm2d.cpp: see batchnorm2d.h; the backward is derived in docs/batchnorm.md.
//
// x, y are (N, C, H, W); per channel c the statistics run over the M = N*H*W values x[:, c, :, :],
// which lie in N contiguous planes of H*W. Threads split the channels, so every sum is private to
// one thread and no reduction needs atomics. Sums are accumulated in double whatever the dtype
// (M reaches 10^6 at 1024x1024), and the variance takes two passes (mean first, then squared
// deviations) rather than E[x^2] - E[x]^2, which cancels catastrophically when |mean| >> std.
//
// The forward saves per-channel mean and 1/sqrt(var + eps) (the batch's in training, the running
// ones in eval) so the backward can rebuild xhat = (x - mean) * invstd without storing it.
#include "tensor/ops/batchnorm2d.h"

#include <cmath>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

struct BnGeometry {
  int64_t N, C, HW;
  int64_t count() const { return N * HW; }  // M: values per channel
};

// Partial sums: value i of a plane goes to lane i % kLanes; lanes_total adds the lanes pairwise.
constexpr int kLanes = 16;
struct Lanes {
  double v[kLanes] = {};
  double total() const {
    double t[kLanes];
    for (int l = 0; l < kLanes; ++l) t[l] = v[l];
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) t[l] += t[l + w];
    return t[0];
  }
};

// lanes += term(i) for i < n, each i into lane i % kLanes.
template <typename Term> void add_to_lanes(Lanes& lanes, int64_t n, Term term) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes.v[l] += term(i + l);
  for (int l = 0; i + l < n; ++l) lanes.v[l] += term(i + l);
}

// Calls f(plane, HW) for each of the N planes of channel c.
template <typename T, typename F> void for_each_plane(T* base, const BnGeometry& g, int64_t c, F f) {
  for (int64_t n = 0; n < g.N; ++n) f(base + (n * g.C + c) * g.HW);
}

// Training statistics: mean[c] and biased var[c] of the batch.
template <typename T>
void batch_statistics(const T* x, const BnGeometry& g, double* mean, double* var) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    Lanes sum;
    for_each_plane(x, g, c, [&](const T* p) { add_to_lanes(sum, g.HW, [p](int64_t i) { return (double)p[i]; }); });
    const double mu = sum.total() / g.count();
    Lanes sq;
    for_each_plane(x, g, c, [&](const T* p) {
      add_to_lanes(sq, g.HW, [p, mu](int64_t i) { return (p[i] - mu) * (p[i] - mu); });
    });
    mean[c] = mu;
    var[c] = sq.total() / g.count();
  }
}

// y = (x - mean) * (gamma * invstd) + beta. The subtraction comes first: x - mean is exact when x is near
// the mean (Sterbenz), while x * a + (beta - mean * a) rounds x * a at the magnitude of x, which for a channel
// whose mean is 1e4 times its spread costs 1e-3 of y without a fused multiply-add (-march=none builds).
template <typename T>
void normalize(const T* x, const T* gamma, const T* beta, const T* mean, const T* invstd, const BnGeometry& g,
               T* y) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    const T a = gamma[c] * invstd[c], m = mean[c], b = beta[c];
    for (int64_t n = 0; n < g.N; ++n) {
      const T* px = x + (n * g.C + c) * g.HW;
      T* py = y + (n * g.C + c) * g.HW;
      for (int64_t i = 0; i < g.HW; ++i) py[i] = (px[i] - m) * a + b;
    }
  }
}

// With xhat = (x - mean) * invstd:  dgamma = sum dy*xhat, dbeta = sum dy, and
//   training: dx = gamma*invstd * (dy - dbeta/M - xhat * dgamma/M)   (mean and var depend on x)
//   eval:     dx = gamma*invstd * dy                                  (they are constants)
// dx, dgamma, dbeta may be null.
template <typename T>
void batchnorm_backward_cpu(const T* x, const T* dy, const T* gamma, const T* mean, const T* invstd,
                            const BnGeometry& g, bool training, T* dx, T* dgamma, T* dbeta) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    const double mu = mean[c], is = invstd[c];
    Lanes dy_lanes, dy_xhat_lanes;
    for (int64_t n = 0; n < g.N; ++n) {
      const T* px = x + (n * g.C + c) * g.HW;
      const T* pdy = dy + (n * g.C + c) * g.HW;
      add_to_lanes(dy_lanes, g.HW, [pdy](int64_t i) { return (double)pdy[i]; });
      add_to_lanes(dy_xhat_lanes, g.HW, [=](int64_t i) { return pdy[i] * ((px[i] - mu) * is); });
    }
    const double sum_dy = dy_lanes.total(), sum_dy_xhat = dy_xhat_lanes.total();
    if (dgamma) dgamma[c] = static_cast<T>(sum_dy_xhat);
    if (dbeta) dbeta[c] = static_cast<T>(sum_dy);
    if (!dx) continue;
    const double scale = gamma[c] * is;
    // dx = scale*dy - shift - slope*(x - mu), everything per channel folded into three constants.
    const double shift = training ? scale * sum_dy / g.count() : 0.0;
    const double slope = training ? scale * is * sum_dy_xhat / g.count() : 0.0;
    for (int64_t n = 0; n < g.N; ++n) {
      const T* px = x + (n * g.C + c) * g.HW;
      const T* pdy = dy + (n * g.C + c) * g.HW;
      T* pdx = dx + (n * g.C + c) * g.HW;
      for (int64_t i = 0; i < g.HW; ++i)
        pdx[i] = static_cast<T>(scale * pdy[i] - shift - slope * (px[i] - mu));
    }
  }
}

template <typename T> T* data_or_null(Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

// Forward for one dtype: fills save_mean / save_invstd, updates the running buffers when training.
template <typename T>
Tensor batchnorm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                         Tensor& running_var, const BatchNormParams& prm, const BnGeometry& g, Tensor& save_mean,
                         Tensor& save_invstd) {
  T* sm = save_mean.data<T>();
  T* si = save_invstd.data<T>();
  T* rm = running_mean.data<T>();
  T* rv = running_var.data<T>();
  if (prm.training) {
    std::vector<double> mean((size_t)g.C), var((size_t)g.C);
    batch_statistics(x.data<T>(), g, mean.data(), var.data());
    const double unbias = double(g.count()) / double(g.count() - 1);
    for (int64_t c = 0; c < g.C; ++c) {
      sm[c] = static_cast<T>(mean[c]);
      si[c] = static_cast<T>(1.0 / std::sqrt(var[c] + prm.eps));
      rm[c] = static_cast<T>((1 - prm.momentum) * rm[c] + prm.momentum * mean[c]);
      rv[c] = static_cast<T>((1 - prm.momentum) * rv[c] + prm.momentum * var[c] * unbias);
    }
  } else {
    for (int64_t c = 0; c < g.C; ++c) {
      sm[c] = rm[c];
      si[c] = static_cast<T>(1.0 / std::sqrt(double(rv[c]) + prm.eps));
    }
  }
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  normalize(x.data<T>(), gamma.data<T>(), beta.data<T>(), sm, si, g, y.data<T>());
  return y;
}

template <typename T>
std::vector<Tensor> batchnorm_backward(const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& mean,
                                       const Tensor& invstd, const BnGeometry& g, bool training, bool want_dx,
                                       bool want_dgamma, bool want_dbeta) {
  Tensor dx = want_dx ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
  Tensor dgamma = want_dgamma ? Tensor::empty(gamma.shape(), x.dtype()) : Tensor();
  Tensor dbeta = want_dbeta ? Tensor::empty(gamma.shape(), x.dtype()) : Tensor();
  batchnorm_backward_cpu<T>(x.data<T>(), dy.data<T>(), gamma.data<T>(), mean.data<T>(), invstd.data<T>(), g,
                            training, data_or_null<T>(dx), data_or_null<T>(dgamma), data_or_null<T>(dbeta));
  return {dx, dgamma, dbeta};
}

#if YOLOPICK_WITH_CUDA
// CUDA (float32): cuda_kernels/batchnorm2d.h. The backward always computes dgamma and dbeta (one
// reduction pass yields both, and the training dx needs them).
Tensor batchnorm_forward_cuda(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                              Tensor& running_var, const BatchNormParams& prm, const BnGeometry& g, Tensor& save_mean,
                              Tensor& save_invstd) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (prm.training)
    cuda::batchnorm2d_forward_train(
        x.data<float>(), gamma.data<float>(), beta.data<float>(), y.data<float>(), running_mean.data<float>(),
        running_var.data<float>(), save_mean.data<float>(), save_invstd.data<float>(), (int)g.N, (int)g.C, g.HW,
        (float)prm.momentum, (float)prm.eps);
  else
    cuda::batchnorm2d_forward_eval(x.data<float>(), gamma.data<float>(), beta.data<float>(),
                                   running_mean.data<float>(), running_var.data<float>(), y.data<float>(),
                                   save_mean.data<float>(), save_invstd.data<float>(), (int)g.N, (int)g.C, g.HW,
                                   (float)prm.eps);
  return y;
}

std::vector<Tensor> batchnorm_backward_cuda(const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& mean,
                                            const Tensor& invstd, const BnGeometry& g, bool training, bool want_dx,
                                            bool want_dgamma, bool want_dbeta) {
  Tensor dx = want_dx ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  Tensor dgamma = Tensor::empty(gamma.shape(), x.dtype(), x.device());
  Tensor dbeta = Tensor::empty(gamma.shape(), x.dtype(), x.device());
  cuda::batchnorm2d_backward(x.data<float>(), dy.data<float>(), gamma.data<float>(), mean.data<float>(),
                             invstd.data<float>(), data_or_null<float>(dx), dgamma.data<float>(), dbeta.data<float>(),
                             (int)g.N, (int)g.C, g.HW, training);
  return {dx, want_dgamma ? dgamma : Tensor(), want_dbeta ? dbeta : Tensor()};
}
#endif

void check_channel_vector(const Tensor& x, const Tensor& v, const char* what) {
  YP_CHECK(v.defined(), std::string("batchnorm2d: ") + what + " is undefined");
  check_same_dtype_device("batchnorm2d", x, v);
  YP_CHECK(v.shape() == Shape{x.size(1)}, std::string("batchnorm2d: ") + what + " must be (" +
                                              std::to_string(x.size(1)) + ",), got " + shape_str(v.shape()));
}

}  // namespace

Tensor batchnorm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& running_mean,
                   Tensor& running_var, const BatchNormParams& params) {
  check_dim("batchnorm2d", x, 4, "x (N, C, H, W)");
  check_float("batchnorm2d", x);
  YP_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, "batchnorm2d: CUDA tensors must be float32");
  check_channel_vector(x, gamma, "gamma");
  check_channel_vector(x, beta, "beta");
  check_channel_vector(x, running_mean, "running_mean");
  check_channel_vector(x, running_var, "running_var");
  const BnGeometry g{x.size(0), x.size(1), x.size(2) * x.size(3)};
  YP_CHECK(!params.training || g.count() > 1,
           "batchnorm2d: training needs more than one value per channel, got input " + shape_str(x.shape()));

  Tensor save_mean = Tensor::empty({g.C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({g.C}, x.dtype(), x.device());
  Tensor y;
  if (x.is_cuda())
    YP_CUDA_DISPATCH(y = batchnorm_forward_cuda(x, gamma, beta, running_mean, running_var, params, g, save_mean,
                                                save_invstd));
  else
    y = x.dtype() == DType::F64
                 ? batchnorm_forward<double>(x, gamma, beta, running_mean, running_var, params, g, save_mean,
                                             save_invstd)
                 : batchnorm_forward<float>(x, gamma, beta, running_mean, running_var, params, g, save_mean,
                                            save_invstd);

  const bool training = params.training;
  const bool want_dx = x.requires_grad(), want_dgamma = gamma.requires_grad(), want_dbeta = beta.requires_grad();
  const Tensor x_saved = x.detach(), gamma_saved = gamma.detach();
  return record("batchnorm2d", y, {x, gamma, beta}, [=](const Tensor& dy) {
    if (x_saved.is_cuda())
      YP_CUDA_DISPATCH(return batchnorm_backward_cuda(x_saved, dy, gamma_saved, save_mean, save_invstd, g, training,
                                                      want_dx, want_dgamma, want_dbeta));
    if (x_saved.dtype() == DType::F64)
      return batchnorm_backward<double>(x_saved, dy, gamma_saved, save_mean, save_invstd, g, training, want_dx,
                                        want_dgamma, want_dbeta);
    return batchnorm_backward<float>(x_saved, dy, gamma_saved, save_mean, save_invstd, g, training, want_dx,
                                     want_dgamma, want_dbeta);
  });
}

FoldedConv fold_batchnorm(const Tensor& conv_weight, const Tensor& conv_bias, const Tensor& gamma,
                          const Tensor& beta, const Tensor& running_mean, const Tensor& running_var, double eps) {
  check_dim("fold_batchnorm", conv_weight, 4, "conv weight (K, C, R, S)");
  check_float("fold_batchnorm", conv_weight);
  YP_CHECK(conv_weight.device() == Device::CPU, "fold_batchnorm: runs on the CPU (fold before moving the model)");
  const int64_t K = conv_weight.size(0), per_k = conv_weight.numel() / std::max<int64_t>(K, 1);
  const Shape k_shape{K};
  for (const Tensor* t : {&gamma, &beta, &running_mean, &running_var})
    YP_CHECK(t->defined() && t->shape() == k_shape && t->device() == Device::CPU,
             "fold_batchnorm: BN vectors must be CPU tensors of shape " + shape_str(k_shape) + " for conv weight " +
                 shape_str(conv_weight.shape()));
  YP_CHECK(!conv_bias.defined() || conv_bias.shape() == k_shape,
           "fold_batchnorm: conv bias must be " + shape_str(k_shape) + ", got " + shape_str(conv_bias.shape()));

  // In double, then rounded once to the weight's dtype.
  std::vector<double> w_folded((size_t)conv_weight.numel()), b_folded((size_t)K);
  for (int64_t k = 0; k < K; ++k) {
    const double scale = gamma.at(k) / std::sqrt(running_var.at(k) + eps);
    for (int64_t i = 0; i < per_k; ++i) w_folded[(size_t)(k * per_k + i)] = conv_weight.at(k * per_k + i) * scale;
    const double b = conv_bias.defined() ? conv_bias.at(k) : 0.0;
    b_folded[(size_t)k] = beta.at(k) + (b - running_mean.at(k)) * scale;
  }
  return {Tensor::from_vector(w_folded, conv_weight.shape()).to(conv_weight.dtype()),
          Tensor::from_vector(b_folded, k_shape).to(conv_weight.dtype())};
}

}  // namespace yp
