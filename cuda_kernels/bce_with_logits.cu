// bce_with_logits.cu: see bce_with_logits.h. The forward is a two-level reduction: each block sums
// its grid-stride share in shared memory and writes one double; a one-block kernel then adds the
// block sums in block order and writes the mean. (One atomicAdd per block into a single double
// would add them in whatever order the blocks finish, and the last bits would change from run to run.)
#include "cuda_kernels/bce_with_logits.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace bce_with_logits_detail {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;

__device__ double softplus_neg(double z) { return fmax(-z, 0.0) + log1p(exp(-fabs(z))); }  // log(1 + e^-z)

// Block sums of the summands: one per block. block_sums holds gridDim.x doubles.
__global__ void bce_sum_kernel(const float* __restrict__ z, const float* __restrict__ t, int64_t n, float pos_weight,
                               double* __restrict__ block_sums) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const double zi = z[i], ti = t[i];
    sum += (1.0 - ti) * zi + (1.0 + (pos_weight - 1.0) * ti) * softplus_neg(zi);
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if ((int)threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) block_sums[blockIdx.x] = partial[0];
}

// One block of kThreads: each thread adds a fixed strided subset of the block sums in order, then a
// fixed tree; the grid size depends on n only, so the same n gives the same order every run.
__global__ void bce_mean_kernel(const double* __restrict__ block_sums, int blocks, int64_t n, float* __restrict__ loss) {
  __shared__ double partial[kThreads];
  double sum = 0.0;
  for (int b = threadIdx.x; b < blocks; b += kThreads) sum += block_sums[b];
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if ((int)threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) *loss = (float)(partial[0] / (double)n);
}

__global__ void bce_backward_kernel(const float* __restrict__ z, const float* __restrict__ t,
                                    const float* __restrict__ grad_loss, int64_t n, float pos_weight,
                                    float* __restrict__ dz, float* __restrict__ dt) {
  const double scale = (double)*grad_loss / (double)n;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const double zi = z[i], ti = t[i];
    const double w = 1.0 + (pos_weight - 1.0) * ti;
    const double sig_neg = 1.0 / (1.0 + exp(zi));  // sigmoid(-z)
    if (dz) dz[i] = (float)(scale * ((1.0 - ti) - w * sig_neg));
    if (dt) dt[i] = (float)(scale * (-zi + (pos_weight - 1.0) * softplus_neg(zi)));
  }
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return (int)(blocks < kMaxBlocks ? (blocks == 0 ? 1 : blocks) : kMaxBlocks);
}

}  // namespace bce_with_logits_detail
using namespace bce_with_logits_detail;

void bce_with_logits_forward(const float* z, const float* t, int64_t n, float pos_weight, float* loss) {
  if (n <= 0) throw std::runtime_error("bce_with_logits_forward: empty input (the mean of nothing)");
  cudaStream_t st = current_stream();
  const int blocks = grid_for(n);
  double* block_sums = static_cast<double*>(caching_malloc(blocks * sizeof(double)));
  bce_sum_kernel<<<blocks, kThreads, 0, st>>>(z, t, n, pos_weight, block_sums);
  CUDA_CHECK(cudaGetLastError());
  bce_mean_kernel<<<1, kThreads, 0, st>>>(block_sums, blocks, n, loss);
  CUDA_CHECK(cudaGetLastError());
  caching_free(block_sums, blocks * sizeof(double));  // stream-ordered reuse: safe on this stream
}

void bce_with_logits_backward(const float* z, const float* t, const float* grad_loss, int64_t n, float pos_weight,
                              float* dz, float* dt) {
  if (n <= 0) return;
  bce_backward_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(z, t, grad_loss, n, pos_weight, dz, dt);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
