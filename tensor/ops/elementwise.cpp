// elementwise.cpp: see elementwise.h. CPU loops are templated on the scalar (float for the engine,
// double for gradient checks); the CUDA path is in cuda_kernels/elementwise.cu.
#include "tensor/ops/elementwise.h"

#include <algorithm>
#include <cmath>


#include "tensor/autograd.h"
#include "tensor/cpu/activation.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

template <typename T, typename F>
void map2(const Tensor& a, const Tensor& b, Tensor& y, F f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  const int64_t n = y.numel();
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], pb[i]);
}

template <typename T, typename F>
void map1(const Tensor& a, Tensor& y, F f) {
  const T* pa = a.data<T>();
  T* py = y.data<T>();
  const int64_t n = y.numel();
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i]);
}

// out = alpha*a + beta*b on any device (the one primitive behind add/sub/scale and the in-place updates).
void axpby(const Tensor& a, double alpha, const Tensor& b, double beta, Tensor& out) {
  if (out.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::axpby_f32(a.data<float>(), (float)alpha, b.data<float>(), (float)beta,
                                     out.data<float>(), out.numel()));
    return;
  }
  if (out.dtype() == DType::F64)
    map2<double>(a, b, out, [=](double x, double y) { return alpha * x + beta * y; });
  else
    map2<float>(a, b, out, [=](float x, float y) { return (float)alpha * x + (float)beta * y; });
}

void check_binary(const char* op, const Tensor& a, const Tensor& b) {
  check_same_shape(op, a, b);
  check_same_dtype_device(op, a, b);
  check_float(op, a);
}

template <typename T> T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }

// float32 SiLU and sigmoid run the SIMD kernels of tensor/cpu/activation.h (std::exp per element is not
// vectorised, and made SiLU cost as much as a convolution of the same size) over 4096-element chunks, the
// unit OpenMP shares out; every value gets the same bits whatever the chunking.
constexpr int64_t kChunk = 4096;

template <typename F>
void for_chunks(int64_t n, F f) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * kChunk, len = std::min(kChunk, n - begin);
    f(begin, len);
  }
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  check_binary("add", a, b);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  axpby(a, 1.0, b, 1.0, y);
  return record("add", y, {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  check_binary("sub", a, b);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  axpby(a, 1.0, b, -1.0, y);
  return record("sub", y, {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, scale(g, -1.0)}; });
}

Tensor scale(const Tensor& a, double s) {
  check_float("scale", a);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  axpby(a, s, a, 0.0, y);
  return record("scale", y, {a}, [s](const Tensor& g) { return std::vector<Tensor>{scale(g, s)}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  check_binary("mul", a, b);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (y.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::mul_f32(a.data<float>(), b.data<float>(), y.data<float>(), y.numel()));
  } else if (y.dtype() == DType::F64) {
    map2<double>(a, b, y, [](double x, double z) { return x * z; });
  } else {
    map2<float>(a, b, y, [](float x, float z) { return x * z; });
  }
  return record("mul", y, {a, b}, [a, b](const Tensor& g) { return std::vector<Tensor>{mul(g, b), mul(g, a)}; });
}

namespace {

template <typename T> T silu_forward(T x) { return x * sigmoid_of(x); }
template <typename T> T silu_derivative(T x) {
  const T s = sigmoid_of(x);
  return s * (T(1) + x * (T(1) - s));
}

}  // namespace

void silu_span(const float* x, float* y, int64_t n) { silu_f32(x, y, n); }

void silu_span(const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = silu_forward(x[i]);
}

Tensor silu(const Tensor& x) {
  check_float("silu", x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (y.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::silu_forward_f32(x.data<float>(), y.data<float>(), y.numel()));
  } else if (y.dtype() == DType::F64) {
    map1<double>(x, y, silu_forward<double>);
  } else {
    const float* px = x.data<float>();
    float* py = y.data<float>();
    for_chunks(y.numel(), [&](int64_t b, int64_t len) { silu_f32(px + b, py + b, len); });
  }
  return record("silu", y, {x}, [x](const Tensor& g) {
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (dx.is_cuda()) {
      YP_CUDA_DISPATCH(cuda::silu_backward_f32(x.data<float>(), g.data<float>(), dx.data<float>(), dx.numel()));
    } else if (dx.dtype() == DType::F64) {
      map2<double>(x, g, dx, [](double v, double gv) { return gv * silu_derivative(v); });
    } else {
      const float *px = x.data<float>(), *pg = g.data<float>();
      float* pdx = dx.data<float>();
      for_chunks(dx.numel(), [&](int64_t b, int64_t len) { silu_backward_f32(px + b, pg + b, pdx + b, len); });
    }
    return std::vector<Tensor>{dx};
  });
}

Tensor sigmoid(const Tensor& x) {
  check_float("sigmoid", x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (y.is_cuda()) {
    YP_CUDA_DISPATCH(cuda::sigmoid_forward_f32(x.data<float>(), y.data<float>(), y.numel()));
  } else if (y.dtype() == DType::F64) {
    map1<double>(x, y, sigmoid_of<double>);
  } else {
    const float* px = x.data<float>();
    float* py = y.data<float>();
    for_chunks(y.numel(), [&](int64_t b, int64_t len) { sigmoid_f32(px + b, py + b, len); });
  }
  // The backward needs only the output: dy/dx = y (1 - y).
  const Tensor y_saved = y.detach();
  return record("sigmoid", y, {x}, [y_saved](const Tensor& g) {
    Tensor dx = Tensor::empty(y_saved.shape(), y_saved.dtype(), y_saved.device());
    if (dx.is_cuda()) {
      YP_CUDA_DISPATCH(cuda::sigmoid_backward_f32(y_saved.data<float>(), g.data<float>(), dx.data<float>(), dx.numel()));
    } else if (dx.dtype() == DType::F64) {
      map2<double>(y_saved, g, dx, [](double s, double gv) { return gv * s * (1 - s); });
    } else {
      map2<float>(y_saved, g, dx, [](float s, float gv) { return gv * s * (1 - s); });
    }
    return std::vector<Tensor>{dx};
  });
}

void add_inplace(Tensor& acc, const Tensor& g) { axpby_inplace(acc, 1.0, g, 1.0); }

void axpby_inplace(Tensor& acc, double alpha, const Tensor& g, double beta) {
  check_binary("axpby_inplace", acc, g);
  axpby(acc, alpha, g, beta, acc);
}

}  // namespace yp
