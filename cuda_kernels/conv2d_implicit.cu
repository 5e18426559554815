// conv2d_implicit.cu: variant 5, implicit GEMM, and the fused conv + folded-BN + SiLU inference kernel.
//
// The GEMM of variant 4 (64x64 block tile, BK = 8, 4x4 outputs per thread), but the B tile is
// gathered from x while loading instead of from a materialised col buffer, and the batch is folded
// into the GEMM's N dimension, so one launch covers the whole batch:
//   M = K,  N = batch * P * Q (column j = n*PQ + p*Q + q),  Kd = C*R*S (row = (c*R + r)*S + s)
//   B[row, j] = x[n, c, p*stride - pad + r, q*stride - pad + s]   (0 in the padding)
//   y[n, k, p, q] = act(b[k] + sum_row W[k, row] * B[row, j])
// Every B load costs a few integer divisions, but a thread always loads the same tile column
// (tid % 64), so the column's (n, p, q) is decoded once per thread, and only (c, r, s) per k step.
// x (N, C, H, W), w (K, C, R, S), y (N, K, P, Q).
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace conv2d_implicit_detail {

constexpr int kBM = 64, kBN = 64, kBK = 8, kTM = 4, kTN = 4;
constexpr int kThreadsX = kBN / kTN, kThreadsY = kBM / kTM;  // 16 x 16
constexpr int kThreads = kThreadsX * kThreadsY;              // 256
static_assert(kThreads % kBN == 0, "each thread loads a fixed B column");
static_assert(kBM * kBK == kBK * kBN && kBM * kBK % kThreads == 0, "one loop loads both tiles");

enum class Activation { None, SiLU };

template <Activation kAct>
__global__ void __launch_bounds__(kThreads)
conv2d_implicit_kernel(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ b,
                       float* __restrict__ y, Conv2dShape s) {
  __shared__ float As[kBK][kBM + 4];  // transposed, padded as in variant 4
  __shared__ float Bs[kBK][kBN];
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kThreadsX + tx;
  const int rs_count = s.r * s.s;
  const int crs_count = s.c * rs_count;
  const int64_t pq_count = (int64_t)s.p * s.q;
  const int64_t n_gemm = s.n * pq_count;
  const int m0 = blockIdx.y * kBM;
  const int64_t n0 = (int64_t)blockIdx.x * kBN;

  // The B column this thread gathers, decoded once.
  const int load_col = tid % kBN;
  const int64_t j = n0 + load_col;
  const bool col_valid = j < n_gemm;
  const int64_t img = col_valid ? j / pq_count : 0;
  const int pq = col_valid ? (int)(j % pq_count) : 0;
  const int ih0 = (pq / s.q) * s.stride - s.pad;
  const int iw0 = (pq % s.q) * s.stride - s.pad;
  const float* x_img = x + img * s.c * s.h * s.w;

  float acc[kTM][kTN] = {};
  for (int k0 = 0; k0 < crs_count; k0 += kBK) {
    for (int e = tid; e < kBM * kBK; e += kThreads) {
      const int ar = e / kBK, ak = e % kBK;
      As[ak][ar] = (m0 + ar < s.k && k0 + ak < crs_count) ? w[(int64_t)(m0 + ar) * crs_count + k0 + ak] : 0.f;
      const int bk = e / kBN;  // e % kBN == load_col because kThreads is a multiple of kBN
      const int crs = k0 + bk;
      float v = 0.f;
      if (col_valid && crs < crs_count) {
        const int c = crs / rs_count, r = (crs / s.s) % s.r, t = crs % s.s;
        const int ih = ih0 + r, iw = iw0 + t;
        if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) v = x_img[((int64_t)c * s.h + ih) * s.w + iw];
      }
      Bs[bk][load_col] = v;
    }
    __syncthreads();
    for (int kk = 0; kk < kBK; ++kk) {
      float a[kTM], bv[kTN];
      for (int i = 0; i < kTM; ++i) a[i] = As[kk][ty + kThreadsY * i];
      for (int jj = 0; jj < kTN; ++jj) bv[jj] = Bs[kk][tx + kThreadsX * jj];
      for (int i = 0; i < kTM; ++i)
        for (int jj = 0; jj < kTN; ++jj) acc[i][jj] += a[i] * bv[jj];
    }
    __syncthreads();
  }

  for (int jj = 0; jj < kTN; ++jj) {
    const int64_t col = n0 + tx + kThreadsX * jj;
    if (col >= n_gemm) continue;
    const int64_t out_img = col / pq_count;
    const int64_t out_pq = col % pq_count;
    for (int i = 0; i < kTM; ++i) {
      const int row = m0 + ty + kThreadsY * i;
      if (row >= s.k) continue;
      float v = acc[i][jj] + (b ? b[row] : 0.f);
      if (kAct == Activation::SiLU) v = v / (1.f + __expf(-v));
      y[(out_img * s.k + row) * pq_count + out_pq] = v;
    }
  }
}

template <Activation kAct>
void launch(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  if (s.y_numel() == 0) return;
  const int64_t n_gemm = (int64_t)s.n * s.p * s.q;
  const dim3 grid((unsigned)((n_gemm + kBN - 1) / kBN), (unsigned)((s.k + kBM - 1) / kBM));
  conv2d_implicit_kernel<kAct><<<grid, dim3(kThreadsX, kThreadsY), 0, current_stream()>>>(x, w, b, y, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace conv2d_implicit_detail
using namespace conv2d_implicit_detail;

void conv2d_forward_kernel5(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  launch<Activation::None>(x, w, b, y, s);
}

void conv2d_bias_silu_forward(const float* x, const float* w_folded, const float* b_folded, float* y,
                              const Conv2dShape& s) {
  launch<Activation::SiLU>(x, w_folded, b_folded, y, s);
}

}  // namespace yp::cuda
