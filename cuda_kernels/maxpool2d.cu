// maxpool2d.cu: see maxpool2d.h. Forward: one thread per output element. Backward: one thread per
// output element finds its window's argmax (into a temporary index plane), then one thread per input
// element gathers the gradients of the windows that chose it.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace maxpool2d_detail {

constexpr int kThreads = 256;

// Index inside the (H, W) plane of the window's winner, with the CPU's tie and NaN rules.
__device__ int window_argmax(const float* plane, int p, int q, const PoolShape& s) {
  const int h0 = p * s.stride - s.pad, w0 = q * s.stride - s.pad;
  const int h_lo = max(h0, 0), h_hi = min(h0 + s.kernel, s.h);
  const int w_lo = max(w0, 0), w_hi = min(w0 + s.kernel, s.w);
  int best_index = h_lo * s.w + w_lo;
  float best = plane[best_index];
  for (int h = h_lo; h < h_hi; ++h)
    for (int w = w_lo; w < w_hi; ++w) {
      const float v = plane[h * s.w + w];
      if (v > best || isnan(v)) {
        best = v;
        best_index = h * s.w + w;
      }
    }
  return best_index;
}

__global__ void maxpool2d_forward_kernel(const float* __restrict__ x, float* __restrict__ y, PoolShape s) {
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int q = (int)(i % s.q), p = (int)((i / s.q) % s.p);
    const int64_t plane_index = i / ((int64_t)s.p * s.q);  // n * C + c
    const float* plane = x + plane_index * s.h * s.w;
    y[i] = plane[window_argmax(plane, p, q, s)];
  }
}

__global__ void window_argmax_kernel(const float* __restrict__ x, int* __restrict__ argmax, PoolShape s) {
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int q = (int)(i % s.q), p = (int)((i / s.q) % s.p);
    argmax[i] = window_argmax(x + (i / ((int64_t)s.p * s.q)) * s.h * s.w, p, q, s);
  }
}

// dx[h, w] = sum of dy[p, q] over the windows (p, q) whose argmax is (h, w), added in row-major (p, q)
// order starting from 0: the order of the CPU loop, so the result has the CPU's bits.
__global__ void maxpool2d_backward_kernel(const int* __restrict__ argmax, const float* __restrict__ dy,
                                          float* __restrict__ dx, PoolShape s) {
  const int64_t total = (int64_t)s.n * s.c * s.h * s.w;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int w = (int)(i % s.w), h = (int)((i / s.w) % s.h);
    const int64_t plane = i / ((int64_t)s.h * s.w);
    const int self = h * s.w + w;
    // Windows covering h: p * stride - pad <= h <= p * stride - pad + kernel - 1.
    const int p_lo = max(0, (h + s.pad - s.kernel + s.stride) / s.stride), p_hi = min(s.p - 1, (h + s.pad) / s.stride);
    const int q_lo = max(0, (w + s.pad - s.kernel + s.stride) / s.stride), q_hi = min(s.q - 1, (w + s.pad) / s.stride);
    const int64_t out_plane = plane * s.p * s.q;
    float acc = 0.f;
    for (int p = p_lo; p <= p_hi; ++p)
      for (int q = q_lo; q <= q_hi; ++q) {
        const int64_t o = out_plane + (int64_t)p * s.q + q;
        if (argmax[o] == self) acc += dy[o];
      }
    dx[i] = acc;
  }
}

int grid_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? blocks : (1 << 20));
}

}  // namespace maxpool2d_detail
using namespace maxpool2d_detail;

void maxpool2d_forward(const float* x, float* y, const PoolShape& s) {
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  if (total == 0) return;
  maxpool2d_forward_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(x, y, s);
  CUDA_CHECK(cudaGetLastError());
}

void maxpool2d_backward(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t in_total = (int64_t)s.n * s.c * s.h * s.w;
  if (in_total == 0) return;
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  if (total == 0) {
    CUDA_CHECK(cudaMemsetAsync(dx, 0, in_total * sizeof(float), current_stream()));
    return;
  }
  const size_t argmax_bytes = (size_t)total * sizeof(int);
  int* argmax = static_cast<int*>(caching_malloc(argmax_bytes));
  window_argmax_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(x, argmax, s);
  CUDA_CHECK(cudaGetLastError());
  maxpool2d_backward_kernel<<<grid_for(in_total), kThreads, 0, current_stream()>>>(argmax, dy, dx, s);
  CUDA_CHECK(cudaGetLastError());
  caching_free(argmax, argmax_bytes);  // stream-ordered reuse
}

}  // namespace yp::cuda
