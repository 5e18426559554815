// batchnorm2d.cu: see batchnorm2d.h. Reductions: one block of kThreads per channel walks the N
// planes of that channel with coalesced strided loops and reduces in shared memory (double).
// The elementwise passes use one thread per element.
#include "cuda_kernels/batchnorm2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace batchnorm2d_detail {

constexpr int kThreads = 256;

// Sum of v over the block, returned to every thread. `scratch` holds kThreads doubles.
__device__ double block_sum(double v, double* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if ((int)threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();  // scratch may be reused right after
  return total;
}

__global__ void batch_stats_kernel(const float* __restrict__ x, float* __restrict__ running_mean,
                                   float* __restrict__ running_var, float* __restrict__ save_mean,
                                   float* __restrict__ save_invstd, int n, int c, int64_t hw, float momentum,
                                   float eps) {
  __shared__ double scratch[kThreads];
  const int ch = blockIdx.x;
  const double count = (double)n * hw;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* plane = x + ((int64_t)i * c + ch) * hw;
    for (int64_t j = threadIdx.x; j < hw; j += kThreads) sum += plane[j];
  }
  const double mean = block_sum(sum, scratch) / count;
  double sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* plane = x + ((int64_t)i * c + ch) * hw;
    for (int64_t j = threadIdx.x; j < hw; j += kThreads) {
      const double d = plane[j] - mean;
      sq += d * d;
    }
  }
  const double var = block_sum(sq, scratch) / count;  // biased, used to normalise
  if (threadIdx.x == 0) {
    save_mean[ch] = (float)mean;
    save_invstd[ch] = (float)(1.0 / sqrt(var + eps));
    running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean);
    running_var[ch] = (float)((1.0 - momentum) * running_var[ch] + momentum * var * count / (count - 1.0));
  }
}

__global__ void normalize_kernel(const float* __restrict__ x, const float* __restrict__ gamma,
                                 const float* __restrict__ beta, const float* __restrict__ mean,
                                 const float* __restrict__ invstd, float* __restrict__ y, int c, int64_t hw,
                                 int64_t total) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int ch = (int)((i / hw) % c);
    y[i] = gamma[ch] * (x[i] - mean[ch]) * invstd[ch] + beta[ch];
  }
}

__global__ void eval_stats_kernel(const float* __restrict__ running_mean, const float* __restrict__ running_var,
                                  float* __restrict__ save_mean, float* __restrict__ save_invstd, int c, float eps) {
  const int ch = blockIdx.x * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  save_mean[ch] = running_mean[ch];
  save_invstd[ch] = (float)(1.0 / sqrt((double)running_var[ch] + eps));
}

__global__ void backward_reduce_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                       const float* __restrict__ save_mean, const float* __restrict__ save_invstd,
                                       float* __restrict__ dgamma, float* __restrict__ dbeta, int n, int c,
                                       int64_t hw) {
  __shared__ double scratch[kThreads];
  const int ch = blockIdx.x;
  const float mean = save_mean[ch], invstd = save_invstd[ch];
  double sum_dy = 0.0, sum_dy_xhat = 0.0;
  for (int i = 0; i < n; ++i) {
    const int64_t base = ((int64_t)i * c + ch) * hw;
    for (int64_t j = threadIdx.x; j < hw; j += kThreads) {
      const double g = dy[base + j];
      sum_dy += g;
      sum_dy_xhat += g * ((x[base + j] - mean) * invstd);
    }
  }
  const double total_dy = block_sum(sum_dy, scratch);
  const double total_dy_xhat = block_sum(sum_dy_xhat, scratch);
  if (threadIdx.x == 0) {
    dbeta[ch] = (float)total_dy;
    dgamma[ch] = (float)total_dy_xhat;
  }
}

__global__ void backward_input_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                      const float* __restrict__ gamma, const float* __restrict__ save_mean,
                                      const float* __restrict__ save_invstd, const float* __restrict__ dgamma,
                                      const float* __restrict__ dbeta, float* __restrict__ dx, int c, int64_t hw,
                                      int64_t total, float inv_count, bool training) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int ch = (int)((i / hw) % c);
    if (!training) {  // eval: mean and invstd are constants, so only the scale flows back
      dx[i] = gamma[ch] * save_invstd[ch] * dy[i];
      continue;
    }
    const float xhat = (x[i] - save_mean[ch]) * save_invstd[ch];
    dx[i] = gamma[ch] * save_invstd[ch] * (dy[i] - dbeta[ch] * inv_count - xhat * dgamma[ch] * inv_count);
  }
}

int grid_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? (blocks == 0 ? 1 : blocks) : (1 << 20));
}

}  // namespace batchnorm2d_detail
using namespace batchnorm2d_detail;

void batchnorm2d_forward_train(const float* x, const float* gamma, const float* beta, float* y, float* running_mean,
                               float* running_var, float* save_mean, float* save_invstd, int n, int c, int64_t hw,
                               float momentum, float eps) {
  if (c == 0) return;
  cudaStream_t st = current_stream();
  batch_stats_kernel<<<c, kThreads, 0, st>>>(x, running_mean, running_var, save_mean, save_invstd, n, c, hw, momentum,
                                             eps);
  CUDA_CHECK(cudaGetLastError());
  const int64_t total = (int64_t)n * c * hw;
  normalize_kernel<<<grid_for(total), kThreads, 0, st>>>(x, gamma, beta, save_mean, save_invstd, y, c, hw, total);
  CUDA_CHECK(cudaGetLastError());
}

void batchnorm2d_forward_eval(const float* x, const float* gamma, const float* beta, const float* running_mean,
                              const float* running_var, float* y, float* save_mean, float* save_invstd, int n, int c,
                              int64_t hw, float eps) {
  if (c == 0) return;
  cudaStream_t st = current_stream();
  eval_stats_kernel<<<(c + kThreads - 1) / kThreads, kThreads, 0, st>>>(running_mean, running_var, save_mean,
                                                                         save_invstd, c, eps);
  CUDA_CHECK(cudaGetLastError());
  const int64_t total = (int64_t)n * c * hw;
  if (total == 0) return;
  normalize_kernel<<<grid_for(total), kThreads, 0, st>>>(x, gamma, beta, save_mean, save_invstd, y, c, hw, total);
  CUDA_CHECK(cudaGetLastError());
}

void batchnorm2d_backward(const float* x, const float* dy, const float* gamma, const float* save_mean,
                          const float* save_invstd, float* dx, float* dgamma, float* dbeta, int n, int c, int64_t hw,
                          bool training) {
  if (c == 0) return;
  cudaStream_t st = current_stream();
  backward_reduce_kernel<<<c, kThreads, 0, st>>>(x, dy, save_mean, save_invstd, dgamma, dbeta, n, c, hw);
  CUDA_CHECK(cudaGetLastError());
  const int64_t total = (int64_t)n * c * hw;
  if (total == 0 || dx == nullptr) return;
  backward_input_kernel<<<grid_for(total), kThreads, 0, st>>>(x, dy, gamma, save_mean, save_invstd, dgamma, dbeta, dx,
                                                               c, hw, total, (float)(1.0 / ((double)n * hw)), training);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
