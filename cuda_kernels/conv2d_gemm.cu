// conv2d_gemm.cu: variants 2, 3 and 4 - im2col, then Y_n = W * col_n + b as a GEMM per image.
//
//   col_n (CRS x PQ): col_n[(c*R + r)*S + s, p*Q + q] = x[n, c, p*stride - pad + r, q*stride - pad + s]
//   GEMM, all row-major:  C (M x N) = A (M x Kd) * B (Kd x N) + bias[row]
//   with A = w seen as (K x CRS), B = col_n, C = y_n (K x PQ).
// A 1x1, stride-1, unpadded conv needs no im2col: col_n is x_n itself.
// The col buffer (CRS*PQ floats, e.g. 113 MB for yolov5s layer 0 at 1024^2) is what variant 5 removes.
//
//   2 naive: one thread per C element; A is read as a warp-wide broadcast, B coalesced, but every
//     B element is fetched M times from L2.
//   3 tiled: 32x32 tiles of A and B staged in shared memory; each value loaded once per block is
//     used 32 times, cutting global traffic 32x.
//   4 register-blocked: 64x64 block tile, BK = 8, 256 threads, each owning a 4x4 patch of C in
//     registers: per k step a thread loads 4 + 4 values from shared memory for 16 FMAs.
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace conv2d_gemm_detail {

constexpr int kIm2colThreads = 256;

__global__ void im2col_kernel(const float* __restrict__ x_image, float* __restrict__ col, Conv2dShape s) {
  const int64_t pq_count = (int64_t)s.p * s.q;
  const int64_t total = (int64_t)s.c * s.r * s.s * pq_count;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t pq = i % pq_count;
    const int crs = (int)(i / pq_count);
    const int c = crs / (s.r * s.s), r = (crs / s.s) % s.r, t = crs % s.s;
    const int ih = (int)(pq / s.q) * s.stride - s.pad + r;
    const int iw = (int)(pq % s.q) * s.stride - s.pad + t;
    const bool inside = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w;
    col[i] = inside ? x_image[((int64_t)c * s.h + ih) * s.w + iw] : 0.f;
  }
}

// --- variant 2 ---
constexpr int kNaiveX = 32, kNaiveY = 8;

__global__ void gemm_naive_kernel(const float* __restrict__ A, const float* __restrict__ B,
                                  const float* __restrict__ bias, float* __restrict__ C, int M, int N, int Kd) {
  const int row = blockIdx.y * kNaiveY + threadIdx.y;
  const int col = blockIdx.x * kNaiveX + threadIdx.x;
  if (row >= M || col >= N) return;
  float acc = bias ? bias[row] : 0.f;
  for (int kk = 0; kk < Kd; ++kk) acc += A[(int64_t)row * Kd + kk] * B[(int64_t)kk * N + col];
  C[(int64_t)row * N + col] = acc;
}

// --- variant 3 ---
constexpr int kTile = 32;

__global__ void gemm_tiled_kernel(const float* __restrict__ A, const float* __restrict__ B,
                                  const float* __restrict__ bias, float* __restrict__ C, int M, int N, int Kd) {
  __shared__ float As[kTile][kTile];
  __shared__ float Bs[kTile][kTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kTile + ty, col = blockIdx.x * kTile + tx;
  float acc = 0.f;
  for (int k0 = 0; k0 < Kd; k0 += kTile) {
    // Out-of-range entries load as 0 so the inner loop needs no bounds checks.
    As[ty][tx] = (row < M && k0 + tx < Kd) ? A[(int64_t)row * Kd + k0 + tx] : 0.f;
    Bs[ty][tx] = (k0 + ty < Kd && col < N) ? B[(int64_t)(k0 + ty) * N + col] : 0.f;
    __syncthreads();
    for (int i = 0; i < kTile; ++i) acc += As[ty][i] * Bs[i][tx];  // As: warp broadcast, Bs: 32 banks
    __syncthreads();  // the next iteration overwrites the tiles
  }
  if (row < M && col < N) C[(int64_t)row * N + col] = acc + (bias ? bias[row] : 0.f);
}

// --- variant 4 ---
constexpr int kBM = 64, kBN = 64, kBK = 8, kTM = 4, kTN = 4;
constexpr int kRegThreadsX = kBN / kTN, kRegThreadsY = kBM / kTM;  // 16 x 16 = 256 threads
constexpr int kRegThreads = kRegThreadsX * kRegThreadsY;
static_assert(kBM * kBK == kBK * kBN, "one loop loads both tiles");

__global__ void __launch_bounds__(kRegThreads)
gemm_register_kernel(const float* __restrict__ A, const float* __restrict__ B, const float* __restrict__ bias,
                     float* __restrict__ C, int M, int N, int Kd) {
  // As is stored transposed (k-major) so a thread's 4 rows are read from one k line; +4 padding
  // spreads the transposing stores over all 32 banks.
  __shared__ float As[kBK][kBM + 4];
  __shared__ float Bs[kBK][kBN];
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kRegThreadsX + tx;
  const int m0 = blockIdx.y * kBM, n0 = blockIdx.x * kBN;
  // Thread (tx, ty) owns rows m0 + ty + 16 i and columns n0 + tx + 16 j: neighbouring threads own
  // neighbouring columns, so the final stores are coalesced.
  float acc[kTM][kTN] = {};
  for (int k0 = 0; k0 < Kd; k0 += kBK) {
    for (int e = tid; e < kBM * kBK; e += kRegThreads) {  // 2 loads per thread for A and for B
      const int ar = e / kBK, ak = e % kBK;
      As[ak][ar] = (m0 + ar < M && k0 + ak < Kd) ? A[(int64_t)(m0 + ar) * Kd + k0 + ak] : 0.f;
      const int bk = e / kBN, bc = e % kBN;
      Bs[bk][bc] = (k0 + bk < Kd && n0 + bc < N) ? B[(int64_t)(k0 + bk) * N + n0 + bc] : 0.f;
    }
    __syncthreads();
    for (int kk = 0; kk < kBK; ++kk) {
      float a[kTM], b[kTN];
      for (int i = 0; i < kTM; ++i) a[i] = As[kk][ty + kRegThreadsY * i];
      for (int j = 0; j < kTN; ++j) b[j] = Bs[kk][tx + kRegThreadsX * j];
      for (int i = 0; i < kTM; ++i)
        for (int j = 0; j < kTN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
  for (int i = 0; i < kTM; ++i) {
    const int row = m0 + ty + kRegThreadsY * i;
    if (row >= M) continue;
    const float bias_row = bias ? bias[row] : 0.f;
    for (int j = 0; j < kTN; ++j) {
      const int col = n0 + tx + kRegThreadsX * j;
      if (col < N) C[(int64_t)row * N + col] = acc[i][j] + bias_row;
    }
  }
}

enum class Gemm { Naive, Tiled, Register };

void launch_gemm(Gemm kind, const float* A, const float* B, const float* bias, float* C, int M, int N, int Kd) {
  cudaStream_t st = current_stream();
  switch (kind) {
    case Gemm::Naive:
      gemm_naive_kernel<<<dim3((N + kNaiveX - 1) / kNaiveX, (M + kNaiveY - 1) / kNaiveY), dim3(kNaiveX, kNaiveY), 0,
                          st>>>(A, B, bias, C, M, N, Kd);
      break;
    case Gemm::Tiled:
      gemm_tiled_kernel<<<dim3((N + kTile - 1) / kTile, (M + kTile - 1) / kTile), dim3(kTile, kTile), 0, st>>>(
          A, B, bias, C, M, N, Kd);
      break;
    case Gemm::Register:
      gemm_register_kernel<<<dim3((N + kBN - 1) / kBN, (M + kBM - 1) / kBM), dim3(kRegThreadsX, kRegThreadsY), 0,
                             st>>>(A, B, bias, C, M, N, Kd);
      break;
  }
  CUDA_CHECK(cudaGetLastError());
}

void conv2d_im2col_gemm(Gemm kind, const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  if (s.y_numel() == 0) return;
  const int M = s.k, N = s.p * s.q, Kd = (int)s.gemm_k();
  const bool col_is_x = s.r == 1 && s.s == 1 && s.stride == 1 && s.pad == 0;
  const size_t col_bytes = col_is_x ? 0 : (size_t)Kd * N * sizeof(float);
  float* col = col_is_x ? nullptr : static_cast<float*>(caching_malloc(col_bytes));
  for (int n = 0; n < s.n; ++n) {
    const float* x_n = x + (int64_t)n * s.c * s.h * s.w;
    if (!col_is_x) {
      const int64_t total = (int64_t)Kd * N;
      const int64_t blocks = (total + kIm2colThreads - 1) / kIm2colThreads;
      im2col_kernel<<<(int)(blocks < (1 << 20) ? blocks : (1 << 20)), kIm2colThreads, 0, current_stream()>>>(x_n, col, s);
      CUDA_CHECK(cudaGetLastError());
    }
    launch_gemm(kind, w, col_is_x ? x_n : col, b, y + (int64_t)n * M * N, M, N, Kd);
  }
  // Freed in stream order: the cache hands it out again only to later work on the same stream.
  if (col) caching_free(col, col_bytes);
}

}  // namespace conv2d_gemm_detail
using namespace conv2d_gemm_detail;

void conv2d_forward_kernel2(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  conv2d_im2col_gemm(Gemm::Naive, x, w, b, y, s);
}
void conv2d_forward_kernel3(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  conv2d_im2col_gemm(Gemm::Tiled, x, w, b, y, s);
}
void conv2d_forward_kernel4(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  conv2d_im2col_gemm(Gemm::Register, x, w, b, y, s);
}

}  // namespace yp::cuda
