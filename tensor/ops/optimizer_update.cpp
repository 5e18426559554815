// optimizer_update.cpp: see optimizer_update.h. Plain loops on the CPU (a few million parameters: memory
// bound and a small part of a step), the kernels of cuda_kernels/optimizer_update.cu on the GPU.
#include "tensor/ops/optimizer_update.h"

#include <cmath>
#include <string>

#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

// Every tensor float32, of `first`'s shape and device.
void check_update(const char* op, const Tensor& first, std::initializer_list<const Tensor*> others) {
  YP_CHECK(first.defined() && first.dtype() == DType::F32, std::string(op) + ": tensors must be defined float32");
  for (const Tensor* t : others) {
    YP_CHECK(t->defined() && t->dtype() == DType::F32, std::string(op) + ": tensors must be defined float32");
    check_same_shape(op, first, *t);
    YP_CHECK(t->device() == first.device(), std::string(op) + ": tensors on " + device_name(first.device()) + " and " +
                                                device_name(t->device()));
  }
}

}  // namespace

void sgd_nesterov_update(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr, double momentum,
                         double weight_decay) {
  check_update("sgd_nesterov_update", param, {&grad, &momentum_buf});
  const int64_t n = param.numel();
  if (param.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::sgd_nesterov_update(param.data<float>(), grad.data<float>(), momentum_buf.data<float>(), n,
                                               lr, momentum, weight_decay));
    return;
  }
  float* w = param.data<float>();
  const float* dw = grad.data<float>();
  float* m = momentum_buf.data<float>();
  // PyTorch starts the buffer at g; starting at zero gives the same buf = mu*0 + g.
  for (int64_t k = 0; k < n; ++k) {
    const double gk = (double)dw[k] + weight_decay * w[k];
    const double buf = momentum * m[k] + gk;
    m[k] = (float)buf;
    w[k] = (float)(w[k] - lr * (gk + momentum * buf));
  }
}

void adamw_update(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, double lr, double beta1, double beta2,
                  double weight_decay, double eps, double bias_correction1, double bias_correction2) {
  check_update("adamw_update", param, {&grad, &m, &v});
  const int64_t n = param.numel();
  if (param.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::adamw_update(param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), n, lr,
                                        beta1, beta2, weight_decay, eps, bias_correction1, bias_correction2));
    return;
  }
  float* w = param.data<float>();
  const float* dw = grad.data<float>();
  float* pm = m.data<float>();
  float* pv = v.data<float>();
  const double c1 = bias_correction1, c2 = bias_correction2;
  for (int64_t k = 0; k < n; ++k) {
    const double wk = w[k] * (1 - lr * weight_decay);
    pm[k] = (float)(beta1 * pm[k] + (1 - beta1) * dw[k]);
    pv[k] = (float)(beta2 * pv[k] + (1 - beta2) * (double)dw[k] * dw[k]);
    w[k] = (float)(wk - lr * (pm[k] / c1) / (std::sqrt(pv[k] / c2) + eps));
  }
}

void ema_update(Tensor& ema, const Tensor& model, double decay) {
  check_update("ema_update", ema, {&model});
  const int64_t n = ema.numel();
  if (ema.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::ema_update(ema.data<float>(), model.data<float>(), n, decay));
    return;
  }
  float* pe = ema.data<float>();
  const float* pm = model.data<float>();
  for (int64_t k = 0; k < n; ++k) pe[k] = (float)(decay * pe[k] + (1 - decay) * pm[k]);
}

void scale_update(Tensor& x, double factor) {
  check_update("scale_update", x, {});
  if (x.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::scale_update(x.data<float>(), x.numel(), factor));
    return;
  }
  float* d = x.data<float>();
  for (int64_t k = 0; k < x.numel(); ++k) d[k] = (float)(d[k] * factor);
}

}  // namespace yp
