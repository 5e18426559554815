// upsample.cu: see upsample.h. One thread per output element (forward) / input element (backward).
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"
#include "cuda_kernels/upsample.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace upsample_detail {

constexpr int kThreads = 256;

__global__ void upsample_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t planes, int h,
                                        int w, int scale) {
  const int oh = h * scale, ow = w * scale;
  const int64_t total = planes * oh * ow;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int j = (int)(i % ow), r = (int)((i / ow) % oh);
    const int64_t plane = i / ((int64_t)oh * ow);
    y[i] = x[(plane * h + r / scale) * w + j / scale];
  }
}

__global__ void upsample_backward_kernel(const float* __restrict__ dy, float* __restrict__ dx, int64_t planes, int h,
                                         int w, int scale) {
  const int oh = h * scale, ow = w * scale;
  const int64_t total = planes * h * w;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int col = (int)(i % w), row = (int)((i / w) % h);
    const float* block = dy + (i / ((int64_t)h * w)) * oh * ow + (int64_t)row * scale * ow + (int64_t)col * scale;
    float acc = 0.f;
    for (int a = 0; a < scale; ++a)
      for (int b = 0; b < scale; ++b) acc += block[(int64_t)a * ow + b];
    dx[i] = acc;
  }
}

int grid_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? blocks : (1 << 20));
}

}  // namespace upsample_detail
using namespace upsample_detail;

void upsample_nearest_forward(const float* x, float* y, int64_t planes, int h, int w, int scale) {
  const int64_t total = planes * h * w * scale * scale;
  if (total == 0) return;
  upsample_forward_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(x, y, planes, h, w, scale);
  CUDA_CHECK(cudaGetLastError());
}

void upsample_nearest_backward(const float* dy, float* dx, int64_t planes, int h, int w, int scale) {
  const int64_t total = planes * h * w;
  if (total == 0) return;
  upsample_backward_kernel<<<grid_for(total), kThreads, 0, current_stream()>>>(dy, dx, planes, h, w, scale);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
