// bce_with_logits.cpp: see bce_with_logits.h for the formulas. The forward sum uses ordered_sum
// (reduce.h), so the loss has the same bits whatever the thread count. The CUDA path is
// cuda_kernels/bce_with_logits.cu (a fixed reduction tree: the same bits on every run, not the CPU's).
#include "tensor/ops/bce_with_logits.h"

#include <cmath>
#include <string>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"
#include "tensor/ops/reduce.h"

namespace yp {

namespace {

constexpr int64_t kParallelMinElements = int64_t(1) << 15;

// softplus(-z) = log(1 + e^-z), written so that exp never sees a positive argument.
inline double softplus_of_negative(double z) { return std::max(-z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

inline double bce_term(double z, double t, double p) {
  return (1 - t) * z + (1 + (p - 1) * t) * softplus_of_negative(z);
}

// sigmoid(-z), stable for either sign of z.
inline double sigmoid_of_negative(double z) {
  const double e = std::exp(-std::fabs(z));
  return z >= 0 ? e / (1 + e) : 1 / (1 + e);
}

template <typename T>
double bce_sum_cpu(const T* z, const T* t, int64_t n, double p) {
  return ordered_sum(n, [=](int64_t i) { return bce_term(z[i], t[i], p); });
}

// dz and dt may be null (that input needs no gradient). `scale` = upstream gradient / n.
template <typename T>
void bce_backward_cpu(const T* z, const T* t, int64_t n, double p, double scale, T* dz, T* dt) {
#pragma omp parallel for if (n > kParallelMinElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const double zi = z[i], ti = t[i];
    if (dz) dz[i] = (T)(scale * ((1 - ti) - (1 + (p - 1) * ti) * sigmoid_of_negative(zi)));
    if (dt) dt[i] = (T)(scale * (-zi + (p - 1) * softplus_of_negative(zi)));
  }
}

}  // namespace

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets, double pos_weight) {
  YP_CHECK(logits.defined() && targets.defined(), "bce_with_logits: logits and targets must be defined");
  check_same_shape("bce_with_logits", logits, targets);
  check_same_dtype_device("bce_with_logits", logits, targets);
  check_float("bce_with_logits", logits);
  YP_CHECK(!logits.is_cuda() || logits.dtype() == DType::F32, "bce_with_logits: CUDA tensors must be float32");
  YP_CHECK(logits.numel() > 0, "bce_with_logits: the inputs " + shape_str(logits.shape()) +
                                   " are empty, the mean loss is undefined");
  YP_CHECK(std::isfinite(pos_weight) && pos_weight >= 0,
           "bce_with_logits: pos_weight must be finite and >= 0, got " + std::to_string(pos_weight));
  const int64_t n = logits.numel();
  Tensor loss;
  if (logits.is_cuda()) {
    loss = Tensor::empty({}, DType::F32, logits.device());
    YP_CUDA_DISPATCH(cuda::bce_with_logits_forward(logits.data<float>(), targets.data<float>(), n, (float)pos_weight,
                                                   loss.data<float>()));
  } else {
    const double total = logits.dtype() == DType::F64
                             ? bce_sum_cpu(logits.data<double>(), targets.data<double>(), n, pos_weight)
                             : bce_sum_cpu(logits.data<float>(), targets.data<float>(), n, pos_weight);
    loss = Tensor::full({}, total / (double)n, logits.dtype(), logits.device());
  }
  return record("bce_with_logits", loss, {logits, targets}, [logits, targets, pos_weight, n](const Tensor& g) {
    Tensor dz, dt;
    if (logits.requires_grad()) dz = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
    if (targets.requires_grad()) dt = Tensor::empty(targets.shape(), targets.dtype(), targets.device());
    if (logits.is_cuda()) {  // the upstream gradient is read on the device: no host round trip
      YP_CUDA_DISPATCH(cuda::bce_with_logits_backward(logits.data<float>(), targets.data<float>(), g.data<float>(), n,
                                                      (float)pos_weight, dz.defined() ? dz.data<float>() : nullptr,
                                                      dt.defined() ? dt.data<float>() : nullptr));
      return std::vector<Tensor>{dz, dt};
    }
    const double scale = g.item() / (double)n;
    if (logits.dtype() == DType::F64)
      bce_backward_cpu(logits.data<double>(), targets.data<double>(), n, pos_weight, scale,
                       dz.defined() ? dz.data<double>() : nullptr, dt.defined() ? dt.data<double>() : nullptr);
    else
      bce_backward_cpu(logits.data<float>(), targets.data<float>(), n, pos_weight, scale,
                       dz.defined() ? dz.data<float>() : nullptr, dt.defined() ? dt.data<float>() : nullptr);
    return std::vector<Tensor>{dz, dt};
  });
}

}  // namespace yp
