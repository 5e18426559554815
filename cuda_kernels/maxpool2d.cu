// maxpool2d.cu: see maxpool2d.h. One thread per output element in both directions.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

namespace {

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

__global__ void maxpool2d_backward_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                          float* __restrict__ dx, PoolShape s) {
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int q = (int)(i % s.q), p = (int)((i / s.q) % s.p);
    const int64_t plane_offset = (i / ((int64_t)s.p * s.q)) * s.h * s.w;
    atomicAdd(&dx[plane_offset + window_argmax(x + plane_offset, p, q, s)], dy[i]);
  }
}

int grid_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? blocks : (1 << 20));
}

}  // namespace

void maxpool2d_forward(const float* x, float* y, const PoolShape& s) {
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  if (total == 0) return;
  maxpool2d_forward_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(x, y, s);
  CUDA_CHECK(cudaGetLastError());
}

void maxpool2d_backward(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t in_total = (int64_t)s.n * s.c * s.h * s.w;
  if (in_total == 0) return;
  CUDA_CHECK(cudaMemsetAsync(dx, 0, in_total * sizeof(float), current_stream()));
  const int64_t total = (int64_t)s.n * s.c * s.p * s.q;
  if (total == 0) return;
  maxpool2d_backward_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(x, dy, dx, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
