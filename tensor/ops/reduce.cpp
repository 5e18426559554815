// reduce.cpp: see reduce.h. The CUDA path is cuda_kernels/reduce.cu, in ordered_sum's order.
#include "tensor/ops/reduce.h"

#include <functional>
#include <memory>
#include <string>

#include "tensor/autograd.h"
#include "tensor/device.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

void check_reducible(const char* op, const Tensor& x) {
  YP_CHECK(x.defined(), std::string(op) + ": the input is undefined");
  check_float(op, x);
  YP_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, std::string(op) + ": CUDA tensors must be float32");
}

double sum_cpu(const Tensor& x) {
  if (x.dtype() == DType::F64) {
    const double* p = x.data<double>();
    return ordered_sum(x.numel(), [p](int64_t i) { return p[i]; });
  }
  const float* p = x.data<float>();
  return ordered_sum(x.numel(), [p](int64_t i) { return (double)p[i]; });
}

// sum(x) / divisor as a shape () tensor on x's device (divisor 1: the sum; numel: the mean).
Tensor reduced(const Tensor& x, double divisor) {
  if (!x.is_cuda()) {
    const double total = sum_cpu(x);
    return Tensor::full({}, divisor == 1.0 ? total : total / divisor, x.dtype(), x.device());
  }
  Tensor y = Tensor::empty({}, x.dtype(), x.device());
  YP_CUDA_DISPATCH(cuda::sum_f32(x.data<float>(), x.numel(), divisor, y.data<float>()));
  return y;
}

// d(sum x / divisor)/dx_i = 1 / divisor: the scalar gradient over divisor, broadcast to x's shape (on the
// device, read there: no host round trip).
BackwardFn broadcast_backward(const Shape& x_shape, double divisor) {
  return [x_shape, divisor](const Tensor& g) {
    if (!g.is_cuda())
      return std::vector<Tensor>{Tensor::full(x_shape, g.item() * (1.0 / divisor), g.dtype(), g.device())};
    Tensor dx = Tensor::empty(x_shape, g.dtype(), g.device());
    YP_CUDA_DISPATCH(cuda::fill_scaled_f32(g.data<float>(), 1.0 / divisor, dx.data<float>(), dx.numel()));
    return std::vector<Tensor>{dx};
  };
}

}  // namespace

Tensor sum(const Tensor& x) {
  check_reducible("sum", x);
  return record("sum", reduced(x, 1.0), {x}, broadcast_backward(x.shape(), 1.0));
}

Tensor mean(const Tensor& x) {
  check_reducible("mean", x);
  YP_CHECK(x.numel() > 0, "mean: the tensor " + shape_str(x.shape()) + " is empty, its mean is undefined");
  const double n = (double)x.numel();
  return record("mean", reduced(x, n), {x}, broadcast_backward(x.shape(), n));
}

double sum_of_squares(const std::vector<Tensor>& xs) {
  double total = 0;
  std::vector<const Tensor*> on_device;
  for (const Tensor& x : xs) {
    if (!x.defined()) continue;
    YP_CHECK(x.dtype() == DType::F32, "sum_of_squares: tensors must be float32, got " + std::string(dtype_name(x.dtype())));
    if (x.is_cuda()) {
      on_device.push_back(&x);
      continue;
    }
    const float* d = x.data<float>();
    for (int64_t k = 0; k < x.numel(); ++k) total += (double)d[k] * d[k];
  }
  if (on_device.empty()) return total;
  // One chunk-sum launch per tensor into one device array, one download, the chunk sums added in order.
  YP_CUDA_DISPATCH({
    int64_t chunks = 0;
    for (const Tensor* x : on_device) chunks += cuda::reduce_chunk_count(x->numel());
    if (chunks == 0) return total;  // only empty tensors on the device
    std::vector<double> partials((size_t)chunks);
    const size_t bytes = partials.size() * sizeof(double);
    const std::unique_ptr<void, std::function<void(void*)>> buffer(
        device_alloc(bytes, Device::CUDA), [bytes](void* p) { device_free(p, bytes, Device::CUDA); });
    double* slot = static_cast<double*>(buffer.get());
    for (const Tensor* x : on_device) {
      cuda::chunk_sums_f32(x->data<float>(), x->numel(), true, slot);
      slot += cuda::reduce_chunk_count(x->numel());
    }
    device_copy(partials.data(), Device::CPU, buffer.get(), Device::CUDA, bytes);
    for (double p : partials) total += p;
  });
  return total;
}

}  // namespace yp
