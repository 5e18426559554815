// elementwise.cu: one thread per element, grid-stride loops. These kernels are memory-bound
// (8-12 bytes moved per 1-10 flops), so the only goal is full-width coalesced access.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace elementwise_detail {

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return (int)(b < 65535 * 8 ? (b == 0 ? 1 : b) : 65535 * 8);
}

__device__ float sigmoidf_(float x) { return 1.f / (1.f + __expf(-x)); }

__global__ void axpby_kernel(const float* a, float alpha, const float* b, float beta, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = alpha * a[i] + beta * b[i];
}
__global__ void mul_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = a[i] * b[i];
}
__global__ void silu_forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = x[i] * sigmoidf_(x[i]);
}
__global__ void silu_backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float s = sigmoidf_(x[i]);
    dx[i] = dy[i] * s * (1.f + x[i] * (1.f - s));
  }
}
__global__ void sigmoid_forward_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = sigmoidf_(x[i]);
}
__global__ void sigmoid_backward_kernel(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    dx[i] = dy[i] * y[i] * (1.f - y[i]);
}

__global__ void f32_to_f16_kernel(const float* x, __half* y, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = __float2half_rn(x[i]);
}
__global__ void f32_to_bf16_kernel(const float* x, __nv_bfloat16* y, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}

}  // namespace elementwise_detail
using namespace elementwise_detail;

void axpby_f32(const float* a, float alpha, const float* b, float beta, float* out, int64_t n) {
  axpby_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(a, alpha, b, beta, out, n);
  CUDA_CHECK(cudaGetLastError());
}
void mul_f32(const float* a, const float* b, float* out, int64_t n) {
  mul_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(a, b, out, n);
  CUDA_CHECK(cudaGetLastError());
}
void silu_forward_f32(const float* x, float* y, int64_t n) {
  silu_forward_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(x, y, n);
  CUDA_CHECK(cudaGetLastError());
}
void silu_backward_f32(const float* x, const float* dy, float* dx, int64_t n) {
  silu_backward_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(x, dy, dx, n);
  CUDA_CHECK(cudaGetLastError());
}
void sigmoid_forward_f32(const float* x, float* y, int64_t n) {
  sigmoid_forward_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(x, y, n);
  CUDA_CHECK(cudaGetLastError());
}
void sigmoid_backward_f32(const float* y, const float* dy, float* dx, int64_t n) {
  sigmoid_backward_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(y, dy, dx, n);
  CUDA_CHECK(cudaGetLastError());
}

void convert_f32_to_f16(const float* x, __half* y, int64_t n) {
  f32_to_f16_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(x, y, n);
  CUDA_CHECK(cudaGetLastError());
}
void convert_f32_to_bf16(const float* x, __nv_bfloat16* y, int64_t n) {
  f32_to_bf16_kernel<<<blocks_for(n), kThreads, 0, current_stream()>>>(x, y, n);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
