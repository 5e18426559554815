// maxpool2d.cpp: see maxpool2d.h.
//
// The argmax of a window is found by one function, window_argmax, used by the forward (for the
// value) and by the backward (for where the gradient goes). So the tie rule is written once, and
// the backward needs no saved index buffer: x is kept alive by the graph anyway (it is the node's
// input), and re-scanning k*k values per output is cheap next to the convolutions around SPPF.
// Threads split the N*C planes: every plane is independent in both directions, so the backward's
// scatter (dx[argmax] += dy) needs no atomics even when windows overlap.
#include "tensor/ops/maxpool2d.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

// Below this many window reads a loop is not worth waking the OpenMP team for.
constexpr int64_t kParallelMinWork = int64_t(1) << 15;

struct PoolGeometry {
  int64_t N, C, H, W;  // input
  int64_t P, Q;        // output
  int64_t kernel, stride, pad;
  int64_t planes() const { return N * C; }
  int64_t work() const { return planes() * P * Q * kernel * kernel; }
};

// Flat index h*W + w (within one plane) of the window maximum of output (p, q). Out-of-image
// positions are skipped, which is what -infinity padding means; the window always holds one
// real element (see the padding check in maxpool2d).
template <typename T>
int64_t window_argmax(const T* plane, const PoolGeometry& g, int64_t p, int64_t q) {
  const int64_t h0 = p * g.stride - g.pad, w0 = q * g.stride - g.pad;
  const int64_t h_lo = std::max<int64_t>(h0, 0), h_hi = std::min(h0 + g.kernel, g.H);
  const int64_t w_lo = std::max<int64_t>(w0, 0), w_hi = std::min(w0 + g.kernel, g.W);
  int64_t best_index = h_lo * g.W + w_lo;
  T best = plane[best_index];
  for (int64_t h = h_lo; h < h_hi; ++h)
    for (int64_t w = w_lo; w < w_hi; ++w) {
      const T v = plane[h * g.W + w];
      if (v > best || std::isnan(v)) {  // strict: the first maximum keeps the gradient on ties
        best = v;
        best_index = h * g.W + w;
      }
    }
  return best_index;
}

// max(a, b) that keeps a NaN from either side, as window_argmax does; branch-free so loops vectorise.
template <typename T> T max_keep_nan(T a, T b) { return (b > a || b != b) ? b : a; }

// Stride 1 (SPPF's 5x5/1/2): the k x k maximum is the maximum over k rows of k-wide row maxima, so a plane
// costs 2k instead of k^2 reads per output, in loops over contiguous q that the compiler vectorises.
// Same value as window_argmax's (NaN when the window holds one); only the forward uses it.
template <typename T>
void maxpool_plane_separable(const T* xp, const PoolGeometry& g, T* yp, std::vector<T>& row_max) {
  row_max.resize(static_cast<size_t>(g.H * g.Q));
  // Outputs q_lo <= q < q_hi have their whole window inside the row: there the loop over the window offset
  // is outside and the one over q inside, which vectorises; the clipped windows at both ends are scanned.
  const int64_t q_lo = std::min(g.pad, g.Q), q_hi = std::clamp(g.W - g.kernel + g.pad + 1, q_lo, g.Q);
  for (int64_t h = 0; h < g.H; ++h) {
    const T* xr = xp + h * g.W;
    T* out = row_max.data() + h * g.Q;
    for (int64_t q = 0; q < g.Q; ++q) {
      if (q == q_lo) q = q_hi;
      if (q >= g.Q) break;
      const int64_t w_lo = std::max<int64_t>(q - g.pad, 0), w_hi = std::min(q - g.pad + g.kernel, g.W);
      T best = xr[w_lo];
      for (int64_t w = w_lo + 1; w < w_hi; ++w) best = max_keep_nan(best, xr[w]);
      out[q] = best;
    }
    if (q_lo == q_hi) continue;
    std::copy(xr + q_lo - g.pad, xr + q_hi - g.pad, out + q_lo);
    for (int64_t d = 1; d < g.kernel; ++d)
      for (int64_t q = q_lo; q < q_hi; ++q) out[q] = max_keep_nan(out[q], xr[q - g.pad + d]);
  }
  for (int64_t p = 0; p < g.P; ++p) {
    const int64_t h_lo = std::max<int64_t>(p - g.pad, 0), h_hi = std::min(p - g.pad + g.kernel, g.H);
    T* out = yp + p * g.Q;
    std::copy(row_max.data() + h_lo * g.Q, row_max.data() + (h_lo + 1) * g.Q, out);
    for (int64_t h = h_lo + 1; h < h_hi; ++h) {
      const T* in = row_max.data() + h * g.Q;
      for (int64_t q = 0; q < g.Q; ++q) out[q] = max_keep_nan(out[q], in[q]);
    }
  }
}

template <typename T>
void maxpool2d_forward_cpu(const T* x, const PoolGeometry& g, T* y) {
#pragma omp parallel if (g.work() > kParallelMinWork)
  {
    std::vector<T> row_max;
#pragma omp for schedule(static)
    for (int64_t plane = 0; plane < g.planes(); ++plane) {
      const T* xp = x + plane * g.H * g.W;
      T* yp = y + plane * g.P * g.Q;
      if (g.stride == 1) {
        maxpool_plane_separable(xp, g, yp, row_max);
        continue;
      }
      for (int64_t p = 0; p < g.P; ++p)
        for (int64_t q = 0; q < g.Q; ++q) yp[p * g.Q + q] = xp[window_argmax(xp, g, p, q)];
    }
  }
}

// dx = 0, then dx[argmax of window (p,q)] += dy[p,q] for every output.
template <typename T>
void maxpool2d_backward_cpu(const T* x, const T* dy, const PoolGeometry& g, T* dx) {
#pragma omp parallel for if (g.work() > kParallelMinWork) schedule(static)
  for (int64_t plane = 0; plane < g.planes(); ++plane) {
    const T* xp = x + plane * g.H * g.W;
    const T* dyp = dy + plane * g.P * g.Q;
    T* dxp = dx + plane * g.H * g.W;
    std::fill(dxp, dxp + g.H * g.W, T(0));
    for (int64_t p = 0; p < g.P; ++p)
      for (int64_t q = 0; q < g.Q; ++q) dxp[window_argmax(xp, g, p, q)] += dyp[p * g.Q + q];
  }
}

PoolGeometry pool_geometry(const Tensor& x, int kernel, int stride, int padding) {
  check_dim("maxpool2d", x, 4, "x");
  check_float("maxpool2d", x);
  YP_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, "maxpool2d: CUDA tensors must be float32");
  const std::string params = "kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride) +
                             ", padding " + std::to_string(padding);
  YP_CHECK(kernel >= 1 && stride >= 1, "maxpool2d: kernel and stride must be >= 1 (" + params + ")");
  YP_CHECK(padding >= 0 && padding <= kernel / 2,
           "maxpool2d: padding must be between 0 and kernel/2 so every window holds a real element (" + params + ")");
  PoolGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), 0, 0, kernel, stride, padding};
  YP_CHECK(g.H + 2 * g.pad >= g.kernel && g.W + 2 * g.pad >= g.kernel,
           "maxpool2d: the padded input " + shape_str(x.shape()) + " is smaller than the window (" + params + ")");
  g.P = (g.H + 2 * g.pad - g.kernel) / g.stride + 1;
  g.Q = (g.W + 2 * g.pad - g.kernel) / g.stride + 1;
  return g;
}

#if YOLOPICK_WITH_CUDA
cuda::PoolShape cuda_pool_shape(const PoolGeometry& g) {
  cuda::PoolShape s;
  s.n = (int)g.N, s.c = (int)g.C, s.h = (int)g.H, s.w = (int)g.W;
  s.kernel = (int)g.kernel, s.stride = (int)g.stride, s.pad = (int)g.pad, s.p = (int)g.P, s.q = (int)g.Q;
  return s;
}
#endif

}  // namespace

Tensor maxpool2d(const Tensor& x, int kernel, int stride, int padding) {
  const PoolGeometry g = pool_geometry(x, kernel, stride, padding);
  Tensor y = Tensor::empty({g.N, g.C, g.P, g.Q}, x.dtype(), x.device());
  if (x.is_cuda())
    YP_CUDA_DISPATCH(cuda::maxpool2d_forward(x.data<float>(), y.data<float>(), cuda_pool_shape(g)));
  else if (x.dtype() == DType::F64)
    maxpool2d_forward_cpu(x.data<double>(), g, y.data<double>());
  else
    maxpool2d_forward_cpu(x.data<float>(), g, y.data<float>());
  return record("maxpool2d", y, {x}, [x, g](const Tensor& dy) {
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (x.is_cuda())
      YP_CUDA_DISPATCH(cuda::maxpool2d_backward(x.data<float>(), dy.data<float>(), dx.data<float>(), cuda_pool_shape(g)));
    else if (x.dtype() == DType::F64)
      maxpool2d_backward_cpu(x.data<double>(), dy.data<double>(), g, dx.data<double>());
    else
      maxpool2d_backward_cpu(x.data<float>(), dy.data<float>(), g, dx.data<float>());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace yp
