// reduce.cpp: see reduce.h.
#include "tensor/ops/reduce.h"

#include <string>

#include "tensor/autograd.h"

namespace yp {

namespace {

void check_reducible(const char* op, const Tensor& x) {
  YP_CHECK(x.defined(), std::string(op) + ": the input is undefined");
  check_float(op, x);
  YP_CHECK(x.device() == Device::CPU,
           std::string(op) + ": the CUDA path is not wired yet (tensor on " + device_name(x.device()) + ")");
}

double sum_cpu(const Tensor& x) {
  if (x.dtype() == DType::F64) {
    const double* p = x.data<double>();
    return ordered_sum(x.numel(), [p](int64_t i) { return p[i]; });
  }
  const float* p = x.data<float>();
  return ordered_sum(x.numel(), [p](int64_t i) { return (double)p[i]; });
}

// d(factor * sum x)/dx_i = factor: the scalar gradient times factor, broadcast to x's shape.
BackwardFn broadcast_backward(const Shape& x_shape, double factor) {
  return [x_shape, factor](const Tensor& g) {
    return std::vector<Tensor>{Tensor::full(x_shape, g.item() * factor, g.dtype(), g.device())};
  };
}

}  // namespace

Tensor sum(const Tensor& x) {
  check_reducible("sum", x);
  Tensor y = Tensor::full({}, sum_cpu(x), x.dtype(), x.device());
  return record("sum", y, {x}, broadcast_backward(x.shape(), 1.0));
}

Tensor mean(const Tensor& x) {
  check_reducible("mean", x);
  YP_CHECK(x.numel() > 0, "mean: the tensor " + shape_str(x.shape()) + " is empty, its mean is undefined");
  const double n = (double)x.numel();
  Tensor y = Tensor::full({}, sum_cpu(x) / n, x.dtype(), x.device());
  return record("mean", y, {x}, broadcast_backward(x.shape(), 1.0 / n));
}

}  // namespace yp
