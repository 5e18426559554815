// conv2d_backward.cu: gradients of the convolution in conv2d.h.
//
//   dx[n,c,h,w] = sum_{k,r,s : h = p*stride - pad + r, w = q*stride - pad + s} dy[n,k,p,q] * w[k,c,r,s]
//   dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n, c, p*stride - pad + r, q*stride - pad + s]
//   db[k]       = sum_{n,p,q} dy[n,k,p,q]
// dx: one thread per input element gathering the outputs whose window covers it (no atomics; for
//     stride 2 only the (r, s) with matching parity contribute).
// dw: a GEMM dW (K x CRS) = dY (K x N*PQ) * col^T (N*PQ x CRS) with a long reduction and a small
//     result, so the reduction is split over gridDim.z blocks ("split-K"); 16x16 shared tiles, col
//     values gathered from x as in variant 5. Each split writes its own partial dW and a second
//     kernel adds the partials in split order, so dw has the same bits on every run (atomicAdd
//     into one dW would add them in whatever order the blocks finish).
// db: one block per output channel, a shared-memory tree over N*P*Q values accumulated in double.
// Layouts as conv2d.h: x (N, C, H, W), w (K, C, R, S), dy (N, K, P, Q).
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace conv2d_backward_detail {

constexpr int kThreads = 256;
constexpr int kTile = 16;
constexpr int kMinReductionPerSplit = 256;  // keeps each split's tile loads worth its partial's write and read

__global__ void conv2d_backward_data_kernel(const float* __restrict__ dy, const float* __restrict__ w,
                                            float* __restrict__ dx, Conv2dShape s) {
  const int64_t total = (int64_t)s.n * s.c * s.h * s.w;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int iw = (int)(i % s.w);
    const int ih = (int)((i / s.w) % s.h);
    const int c = (int)((i / ((int64_t)s.w * s.h)) % s.c);
    const int n = (int)(i / ((int64_t)s.w * s.h * s.c));
    float acc = 0.f;
    for (int r = 0; r < s.r; ++r) {
      const int ph = ih + s.pad - r;  // = p * stride for a contributing output row
      if (ph < 0 || ph % s.stride != 0) continue;
      const int p = ph / s.stride;
      if (p >= s.p) continue;
      for (int t = 0; t < s.s; ++t) {
        const int qw = iw + s.pad - t;
        if (qw < 0 || qw % s.stride != 0) continue;
        const int q = qw / s.stride;
        if (q >= s.q) continue;
        for (int k = 0; k < s.k; ++k)
          acc += dy[(((int64_t)n * s.k + k) * s.p + p) * s.q + q] * w[(((int64_t)k * s.c + c) * s.r + r) * s.s + t];
      }
    }
    dx[i] = acc;
  }
}

// Split blockIdx.z writes its partial dW to partial + z * K * CRS (partial = dw when there is one split).
__global__ void conv2d_backward_weight_kernel(const float* __restrict__ x, const float* __restrict__ dy,
                                              float* __restrict__ partial, Conv2dShape s, int64_t split_len) {
  __shared__ float Ds[kTile][kTile];      // dY tile: [k][j]
  __shared__ float Xs[kTile][kTile + 1];  // col^T tile: [j][crs], +1 so the transposing store is conflict-free
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int rs_count = s.r * s.s, crs_count = s.c * rs_count;
  const int64_t pq_count = (int64_t)s.p * s.q, j_count = s.n * pq_count;
  const int k0 = blockIdx.y * kTile, crs0 = blockIdx.x * kTile;
  const int64_t j_begin = blockIdx.z * split_len;
  const int64_t j_end = j_begin + split_len < j_count ? j_begin + split_len : j_count;
  float acc = 0.f;
  for (int64_t j0 = j_begin; j0 < j_end; j0 += kTile) {
    const int64_t j = j0 + tx;  // both loads: tx walks j, so neighbouring threads read neighbouring q
    const bool j_ok = j < j_end;
    const int64_t img = j_ok ? j / pq_count : 0;
    const int pq = j_ok ? (int)(j % pq_count) : 0;
    const int k = k0 + ty;
    Ds[ty][tx] = (j_ok && k < s.k) ? dy[(img * s.k + k) * pq_count + pq] : 0.f;
    const int crs = crs0 + ty;
    float v = 0.f;
    if (j_ok && crs < crs_count) {
      const int c = crs / rs_count, r = (crs / s.s) % s.r, t = crs % s.s;
      const int ih = (pq / s.q) * s.stride - s.pad + r, iw = (pq % s.q) * s.stride - s.pad + t;
      if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) v = x[((img * s.c + c) * s.h + ih) * s.w + iw];
    }
    Xs[tx][ty] = v;
    __syncthreads();
    for (int i = 0; i < kTile; ++i) acc += Ds[ty][i] * Xs[i][tx];
    __syncthreads();
  }
  const int k = k0 + ty, crs = crs0 + tx;
  if (k < s.k && crs < crs_count) partial[((int64_t)blockIdx.z * s.k + k) * crs_count + crs] = acc;
}

// dw[i] = sum over splits z = 0, 1, ... of partial[z][i], always in that order.
__global__ void sum_splits_kernel(const float* __restrict__ partial, float* __restrict__ dw, int64_t count,
                                  int64_t splits) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count; i += (int64_t)gridDim.x * blockDim.x) {
    float acc = partial[i];
    for (int64_t z = 1; z < splits; ++z) acc += partial[z * count + i];
    dw[i] = acc;
  }
}

__global__ void conv2d_backward_bias_kernel(const float* __restrict__ dy, float* __restrict__ db, Conv2dShape s) {
  __shared__ double partial[kThreads];
  const int k = blockIdx.x;
  const int64_t pq_count = (int64_t)s.p * s.q;
  double acc = 0.0;
  for (int n = 0; n < s.n; ++n) {
    const float* plane = dy + ((int64_t)n * s.k + k) * pq_count;
    for (int64_t i = threadIdx.x; i < pq_count; i += blockDim.x) acc += plane[i];
  }
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if ((int)threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[k] = (float)partial[0];
}

int sm_count() {
  static int count = [] {
    int device = 0, n = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
    return n;
  }();
  return count;
}

}  // namespace conv2d_backward_detail
using namespace conv2d_backward_detail;

void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dShape& s) {
  const int64_t total = s.x_numel();
  if (total == 0) return;
  if (s.y_numel() == 0) {  // nothing flows back
    CUDA_CHECK(cudaMemsetAsync(dx, 0, total * sizeof(float), current_stream()));
    return;
  }
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  conv2d_backward_data_kernel<<<(int)(blocks < (1 << 20) ? blocks : (1 << 20)), kThreads, 0, current_stream()>>>(
      dy, w, dx, s);
  CUDA_CHECK(cudaGetLastError());
}

void conv2d_backward_weight(const float* x, const float* dy, float* dw, const Conv2dShape& s) {
  const int64_t crs_count = s.gemm_k();
  const int64_t j_count = (int64_t)s.n * s.p * s.q;
  if (s.w_numel() == 0) return;
  if (j_count == 0) {  // no output pixel: the sum over them is 0
    CUDA_CHECK(cudaMemsetAsync(dw, 0, s.w_numel() * sizeof(float), current_stream()));
    return;
  }
  const int64_t tiles = ((crs_count + kTile - 1) / kTile) * ((s.k + kTile - 1) / kTile);
  // Enough splits for ~4 blocks per SM, but none shorter than kMinReductionPerSplit.
  int64_t splits = (4 * sm_count() + tiles - 1) / tiles;
  const int64_t max_splits = (j_count + kMinReductionPerSplit - 1) / kMinReductionPerSplit;
  if (splits > max_splits) splits = max_splits;
  if (splits > 65535) splits = 65535;
  if (splits < 1) splits = 1;
  int64_t split_len = (j_count + splits - 1) / splits;
  split_len = (split_len + kTile - 1) / kTile * kTile;
  splits = (j_count + split_len - 1) / split_len;
  const dim3 grid((unsigned)((crs_count + kTile - 1) / kTile), (unsigned)((s.k + kTile - 1) / kTile), (unsigned)splits);
  if (splits == 1) {
    conv2d_backward_weight_kernel<<<grid, dim3(kTile, kTile), 0, current_stream()>>>(x, dy, dw, s, split_len);
    CUDA_CHECK(cudaGetLastError());
    return;
  }
  // Every (split, k, crs) is written by exactly one thread, so the partials need no zeroing.
  const size_t partial_bytes = (size_t)splits * s.w_numel() * sizeof(float);
  float* partial = static_cast<float*>(caching_malloc(partial_bytes));
  conv2d_backward_weight_kernel<<<grid, dim3(kTile, kTile), 0, current_stream()>>>(x, dy, partial, s, split_len);
  CUDA_CHECK(cudaGetLastError());
  const int64_t blocks = (s.w_numel() + kThreads - 1) / kThreads;
  sum_splits_kernel<<<(int)(blocks < (1 << 20) ? blocks : (1 << 20)), kThreads, 0, current_stream()>>>(
      partial, dw, s.w_numel(), splits);
  CUDA_CHECK(cudaGetLastError());
  caching_free(partial, partial_bytes);  // stream-ordered reuse, as the im2col buffer
}

void conv2d_backward_bias(const float* dy, float* db, const Conv2dShape& s) {
  if (s.k == 0) return;
  conv2d_backward_bias_kernel<<<s.k, kThreads, 0, current_stream()>>>(dy, db, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
