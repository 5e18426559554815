// optimizer_update.cu: see optimizer_update.h. Memory-bound elementwise kernels, grid-stride.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/optimizer_update.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace optimizer_update_detail {

constexpr int kThreads = 256;

__global__ void sgd_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ buf, int64_t n,
                           double lr, double mu, double wd) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const double gk = (double)g[i] + wd * p[i];
    const double b = mu * buf[i] + gk;
    buf[i] = (float)b;
    p[i] = (float)(p[i] - lr * (gk + mu * b));
  }
}

__global__ void adamw_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                             float* __restrict__ v, int64_t n, double lr, double b1, double b2, double wd, double eps,
                             double c1, double c2) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const double wk = p[i] * (1 - lr * wd);
    const float mk = (float)(b1 * m[i] + (1 - b1) * g[i]);
    const float vk = (float)(b2 * v[i] + (1 - b2) * (double)g[i] * g[i]);
    m[i] = mk;
    v[i] = vk;
    p[i] = (float)(wk - lr * (mk / c1) / (sqrt(vk / c2) + eps));
  }
}

__global__ void ema_kernel(float* __restrict__ ema, const float* __restrict__ model, int64_t n, double d) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    ema[i] = (float)(d * ema[i] + (1 - d) * model[i]);
}

__global__ void scale_kernel(float* __restrict__ x, int64_t n, double factor) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    x[i] = (float)(x[i] * factor);
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? blocks : (1 << 20));
}

}  // namespace optimizer_update_detail
using namespace optimizer_update_detail;

void sgd_nesterov_update(float* param, const float* grad, float* momentum_buf, int64_t n, double lr, double momentum,
                         double weight_decay) {
  if (n <= 0) return;
  sgd_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(param, grad, momentum_buf, n, lr, momentum, weight_decay);
  CUDA_CHECK(cudaGetLastError());
}

void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, double lr, double beta1, double beta2,
                  double weight_decay, double eps, double bias_correction1, double bias_correction2) {
  if (n <= 0) return;
  adamw_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(param, grad, m, v, n, lr, beta1, beta2, weight_decay,
                                                                eps, bias_correction1, bias_correction2);
  CUDA_CHECK(cudaGetLastError());
}

void ema_update(float* ema, const float* model, int64_t n, double decay) {
  if (n <= 0) return;
  ema_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(ema, model, n, decay);
  CUDA_CHECK(cudaGetLastError());
}

void scale_update(float* x, int64_t n, double factor) {
  if (n <= 0) return;
  scale_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(x, n, factor);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
