// reduce.cu: see reduce.h. One thread per 4096-element chunk walks it in index order, the CPU loop's order
// (a tree inside the chunk would be faster and give other bits). Its loads are not coalesced across the
// warp, but each 128-byte line a thread touches serves its next 31 iterations from L1; the arrays reduced
// here (a loss, the gradients for clipping: 2-30 MB) take tens of microseconds. A second kernel adds the
// chunk sums in order on one thread (n / 4096 values: 500 for yolov5n's 1.9M parameters).
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/reduce.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace reduce_detail {

constexpr int kThreads = 128;

__global__ void chunk_sums_kernel(const float* __restrict__ x, int64_t n, bool squares, double* __restrict__ partials) {
  const int64_t chunks = (n + kReduceChunk - 1) / kReduceChunk;  // reduce_chunk_count, which is host code
  for (int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; c < chunks; c += (int64_t)gridDim.x * blockDim.x) {
    const int64_t end = c * kReduceChunk + kReduceChunk < n ? c * kReduceChunk + kReduceChunk : n;
    double s = 0;
    if (squares) {
      // __dmul_rn / __dadd_rn: no multiply-add contraction, so each term is rounded as written.
      for (int64_t i = c * kReduceChunk; i < end; ++i) s = __dadd_rn(s, __dmul_rn((double)x[i], (double)x[i]));
    } else {
      for (int64_t i = c * kReduceChunk; i < end; ++i) s += (double)x[i];
    }
    partials[c] = s;
  }
}

__global__ void ordered_total_kernel(const double* __restrict__ partials, int64_t chunks, double divisor,
                                     float* __restrict__ out) {
  double total = 0;
  for (int64_t c = 0; c < chunks; ++c) total += partials[c];
  *out = (float)(total / divisor);
}

__global__ void fill_scaled_kernel(const float* __restrict__ scalar, double factor, float* __restrict__ out, int64_t n) {
  const float v = (float)((double)*scalar * factor);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) out[i] = v;
}

int grid_for(int64_t threads) {
  const int64_t blocks = (threads + kThreads - 1) / kThreads;
  return (int)(blocks < 1 ? 1 : blocks < (1 << 20) ? blocks : (1 << 20));
}

}  // namespace reduce_detail
using namespace reduce_detail;

void chunk_sums_f32(const float* x, int64_t n, bool squares, double* partials) {
  if (n <= 0) return;
  chunk_sums_kernel<<<grid_for(reduce_chunk_count(n)), kThreads, 0, current_stream()>>>(x, n, squares, partials);
  CUDA_CHECK(cudaGetLastError());
}

void sum_f32(const float* x, int64_t n, double divisor, float* out) {
  const int64_t chunks = reduce_chunk_count(n);
  const size_t bytes = (size_t)(chunks > 0 ? chunks : 1) * sizeof(double);
  double* partials = static_cast<double*>(caching_malloc(bytes));
  chunk_sums_f32(x, n, false, partials);
  ordered_total_kernel<<<1, 1, 0, current_stream()>>>(partials, chunks, divisor, out);  // chunks 0: *out = 0
  CUDA_CHECK(cudaGetLastError());
  caching_free(partials, bytes);  // stream-ordered reuse: safe on this stream
}

void fill_scaled_f32(const float* scalar, double factor, float* out, int64_t n) {
  if (n <= 0) return;
  fill_scaled_kernel<<<grid_for(n), kThreads, 0, current_stream()>>>(scalar, factor, out, n);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
