// conv2d_tensor_core.cu: variant 6, variant 5's implicit GEMM on tensor cores through WMMA.
//
// Same GEMM as conv2d_implicit.cu (M = K, N = batch*P*Q, Kd = C*R*S, B gathered from x), with a
// 64x64x16 block tile and 4 warps in a 2x2 grid, each warp owning a 32x32 patch = 2x2 WMMA
// accumulator fragments of 16x16 floats. Per 16-wide k slice a warp issues 4 mma_sync per k step
// (k step 8 for TF32, 16 for FP16/BF16).
//   TF32: float inputs rounded to 10 mantissa bits while staged (wmma::__float_to_tf32); products
//         are exact, sums in FP32, so the error is ~1e-3 relative.
//   FP16 / BF16: inputs already stored in the half type; products in FP32. ~1e-2 relative.
// The accumulators go through shared memory (Cs) for the epilogue, so that bias addition and the
// scattered (n, k, p, q) stores are done by all 128 threads with coalesced writes.
//
// WMMA requirements honoured here: load/store pointers 32-byte aligned and the leading dimension a
// multiple of 16 bytes. Row offsets are multiples of 16 rows and column offsets multiples of 16
// (8 for the second TF32 k step), which keeps every fragment pointer 32-byte aligned given the
// __align__(32) arrays and the padded row lengths below (20 / 68 floats, 24 / 72 halves).
#include <mma.h>

#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace conv2d_tensor_core_detail {

using namespace nvcuda;

constexpr int kBM = 64, kBN = 64, kBK = 16;
constexpr int kThreads = 128;  // 4 warps, 2 x 2
constexpr int kWarpTile = 32;  // each warp: 32 x 32 = 2 x 2 fragments
constexpr int kFrag = 16;
constexpr int kCPad = 4;
static_assert(kThreads % kBN == 0 && kThreads % kBK == 0, "fixed load column per thread");

// How each input type is staged in shared memory and fed to WMMA.
template <typename In> struct TcTraits;
template <> struct TcTraits<float> {
  using Smem = float;
  using FragType = wmma::precision::tf32;
  static constexpr int kStep = 8, kPad = 4;
  __device__ static float stage(float v) { return wmma::__float_to_tf32(v); }
  __device__ static float zero() { return 0.f; }
};
template <> struct TcTraits<__half> {
  using Smem = __half;
  using FragType = __half;
  static constexpr int kStep = 16, kPad = 8;
  __device__ static __half stage(__half v) { return v; }
  __device__ static __half zero() { return __float2half(0.f); }
};
template <> struct TcTraits<__nv_bfloat16> {
  using Smem = __nv_bfloat16;
  using FragType = __nv_bfloat16;
  static constexpr int kStep = 16, kPad = 8;
  __device__ static __nv_bfloat16 stage(__nv_bfloat16 v) { return v; }
  __device__ static __nv_bfloat16 zero() { return __float2bfloat16(0.f); }
};

template <typename In>
__global__ void __launch_bounds__(kThreads)
conv2d_tensor_core_kernel(const In* __restrict__ x, const In* __restrict__ w, const float* __restrict__ b,
                          float* __restrict__ y, Conv2dShape s) {
  using T = TcTraits<In>;
  using Smem = typename T::Smem;
  constexpr int kLdA = kBK + T::kPad, kLdB = kBN + T::kPad, kLdC = kBN + kCPad;
  __shared__ __align__(32) Smem As[kBM][kLdA];
  __shared__ __align__(32) Smem Bs[kBK][kLdB];
  __shared__ __align__(32) float Cs[kBM][kLdC];

  const int tid = threadIdx.x, warp = tid / 32;
  const int warp_m = warp / 2, warp_n = warp % 2;
  const int rs_count = s.r * s.s;
  const int crs_count = s.c * rs_count;
  const int64_t pq_count = (int64_t)s.p * s.q;
  const int64_t n_gemm = s.n * pq_count;
  const int m0 = blockIdx.y * kBM;
  const int64_t n0 = (int64_t)blockIdx.x * kBN;

  // Fixed per thread: the B column it gathers (and later writes) and the A column it loads.
  const int col_local = tid % kBN;
  const int64_t j = n0 + col_local;
  const bool col_valid = j < n_gemm;
  const int64_t img = col_valid ? j / pq_count : 0;
  const int pq = col_valid ? (int)(j % pq_count) : 0;
  const int ih0 = (pq / s.q) * s.stride - s.pad;
  const int iw0 = (pq % s.q) * s.stride - s.pad;
  const In* x_img = x + img * s.c * s.h * s.w;
  const int a_col = tid % kBK;

  wmma::fragment<wmma::accumulator, kFrag, kFrag, T::kStep, float> acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int jj = 0; jj < 2; ++jj) wmma::fill_fragment(acc[i][jj], 0.f);

  for (int k0 = 0; k0 < crs_count; k0 += kBK) {
    for (int ar = tid / kBK; ar < kBM; ar += kThreads / kBK) {  // 8 rows per thread
      const int m = m0 + ar, kk = k0 + a_col;
      As[ar][a_col] = (m < s.k && kk < crs_count) ? T::stage(w[(int64_t)m * crs_count + kk]) : T::zero();
    }
    for (int br = tid / kBN; br < kBK; br += kThreads / kBN) {  // 8 rows per thread
      const int crs = k0 + br;
      Smem v = T::zero();
      if (col_valid && crs < crs_count) {
        const int c = crs / rs_count, r = (crs / s.s) % s.r, t = crs % s.s;
        const int ih = ih0 + r, iw = iw0 + t;
        if (ih >= 0 && ih < s.h && iw >= 0 && iw < s.w) v = T::stage(x_img[((int64_t)c * s.h + ih) * s.w + iw]);
      }
      Bs[br][col_local] = v;
    }
    __syncthreads();
    for (int kk = 0; kk < kBK; kk += T::kStep) {
      wmma::fragment<wmma::matrix_a, kFrag, kFrag, T::kStep, typename T::FragType, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, kFrag, kFrag, T::kStep, typename T::FragType, wmma::row_major> bf[2];
      for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], &As[warp_m * kWarpTile + i * kFrag][kk], kLdA);
      for (int jj = 0; jj < 2; ++jj) wmma::load_matrix_sync(bf[jj], &Bs[kk][warp_n * kWarpTile + jj * kFrag], kLdB);
      for (int i = 0; i < 2; ++i)
        for (int jj = 0; jj < 2; ++jj) wmma::mma_sync(acc[i][jj], a[i], bf[jj], acc[i][jj]);
    }
    __syncthreads();  // the next slice overwrites As and Bs
  }

  for (int i = 0; i < 2; ++i)
    for (int jj = 0; jj < 2; ++jj)
      wmma::store_matrix_sync(&Cs[warp_m * kWarpTile + i * kFrag][warp_n * kWarpTile + jj * kFrag], acc[i][jj], kLdC,
                              wmma::mem_row_major);
  __syncthreads();
  if (!col_valid) return;
  for (int row = tid / kBN; row < kBM; row += kThreads / kBN) {  // 32 rows per thread, column fixed
    const int m = m0 + row;
    if (m >= s.k) break;  // rows only grow
    y[(img * s.k + m) * pq_count + pq] = Cs[row][col_local] + (b ? b[m] : 0.f);
  }
}

template <typename In>
void launch(const In* x, const In* w, const float* b, float* y, const Conv2dShape& s) {
  if (s.y_numel() == 0) return;
  const int64_t n_gemm = (int64_t)s.n * s.p * s.q;
  const dim3 grid((unsigned)((n_gemm + kBN - 1) / kBN), (unsigned)((s.k + kBM - 1) / kBM));
  conv2d_tensor_core_kernel<In><<<grid, kThreads, 0, current_stream()>>>(x, w, b, y, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace conv2d_tensor_core_detail
using namespace conv2d_tensor_core_detail;

void conv2d_forward_kernel6_tf32(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  launch<float>(x, w, b, y, s);
}
void conv2d_forward_kernel6_f16(const __half* x, const __half* w, const float* b, float* y, const Conv2dShape& s) {
  launch<__half>(x, w, b, y, s);
}
void conv2d_forward_kernel6_bf16(const __nv_bfloat16* x, const __nv_bfloat16* w, const float* b, float* y,
                                 const Conv2dShape& s) {
  launch<__nv_bfloat16>(x, w, b, y, s);
}

}  // namespace yp::cuda
