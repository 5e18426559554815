// upsample.cpp: see upsample.h. Threads split the N*C planes (each is independent both ways).
// The forward writes each output row once, by repeating every input value s times; the s rows
// of a block are identical, so rows 1..s-1 are copies of row 0. The backward reads each output
// gradient once and adds it into its source, so no two threads touch one dx element.
#include "tensor/ops/upsample.h"

#include <algorithm>
#include <string>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

constexpr int64_t kParallelMinElements = int64_t(1) << 15;

struct UpsampleGeometry {
  int64_t planes, H, W, s;
  int64_t out_numel() const { return planes * H * W * s * s; }
};

template <typename T>
void upsample_nearest_forward_cpu(const T* x, const UpsampleGeometry& g, T* y) {
  const int64_t OW = g.W * g.s;
#pragma omp parallel for if (g.out_numel() > kParallelMinElements) schedule(static)
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const T* xp = x + plane * g.H * g.W;
    T* yp = y + plane * g.H * g.s * OW;
    for (int64_t h = 0; h < g.H; ++h) {
      T* row0 = yp + h * g.s * OW;
      for (int64_t w = 0; w < g.W; ++w) std::fill(row0 + w * g.s, row0 + (w + 1) * g.s, xp[h * g.W + w]);
      for (int64_t r = 1; r < g.s; ++r) std::copy(row0, row0 + OW, row0 + r * OW);
    }
  }
}

template <typename T>
void upsample_nearest_backward_cpu(const T* dy, const UpsampleGeometry& g, T* dx) {
  const int64_t OH = g.H * g.s, OW = g.W * g.s;
#pragma omp parallel for if (g.out_numel() > kParallelMinElements) schedule(static)
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const T* dyp = dy + plane * OH * OW;
    T* dxp = dx + plane * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) dxp[(i / g.s) * g.W + j / g.s] += dyp[i * OW + j];
  }
}

}  // namespace

Tensor upsample_nearest(const Tensor& x, int scale) {
  check_dim("upsample_nearest", x, 4, "x");
  check_float("upsample_nearest", x);
  YP_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, "upsample_nearest: CUDA tensors must be float32");
  YP_CHECK(scale >= 1, "upsample_nearest: scale must be >= 1, got " + std::to_string(scale));
  const UpsampleGeometry g{x.size(0) * x.size(1), x.size(2), x.size(3), scale};
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.H * g.s, g.W * g.s}, x.dtype(), x.device());
  if (x.is_cuda())
    YP_CUDA_DISPATCH(cuda::upsample_nearest_forward(x.data<float>(), y.data<float>(), g.planes, (int)g.H, (int)g.W, (int)g.s));
  else if (x.dtype() == DType::F64)
    upsample_nearest_forward_cpu(x.data<double>(), g, y.data<double>());
  else
    upsample_nearest_forward_cpu(x.data<float>(), g, y.data<float>());
  const Shape x_shape = x.shape();
  return record("upsample_nearest", y, {x}, [g, x_shape](const Tensor& dy) {
    Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
    if (dy.is_cuda())
      YP_CUDA_DISPATCH(cuda::upsample_nearest_backward(dy.data<float>(), dx.data<float>(), g.planes, (int)g.H, (int)g.W, (int)g.s));
    else if (dy.dtype() == DType::F64)
      upsample_nearest_backward_cpu(dy.data<double>(), g, dx.data<double>());
    else
      upsample_nearest_backward_cpu(dy.data<float>(), g, dx.data<float>());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace yp
