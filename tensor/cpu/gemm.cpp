// gemm.cpp: see gemm.h. The blocking (after Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", 2008), for one thread's share of C:
//
//   for each block of kGemmNc columns of C:
//     for each block of kGemmKc values of k:
//       pack B[k block][column block] into nr-wide micro-panels   (kc x nc, ~1 MB: stays in L2)
//       for each mr rows of C:
//         pack A[rows][k block] into one micro-panel               (mr x kc: stays in L1)
//         for each nr columns: micro-kernel on the mr x nr tile of C
//
// A k block after the first continues the chain from the C tile the previous block stored (accumulate),
// which is the same chain as in registers because both are float32. Edge tiles (fewer than mr rows or nr
// columns) are zero-padded in the packed panels and computed through a local mr x nr buffer.
#include "tensor/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/cpu/gemm_kernels.h"
#include "tensor/cpu/isa.h"
#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace yp {

namespace gemm_detail {

namespace {

constexpr int kGenericMr = 4, kGenericNr = 16;

// The generic kernel is the reference chain on one tile (std::fma: the same rounding as the SIMD FMAs).
void micro_generic(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float t[kGenericMr][kGenericNr];
  for (int i = 0; i < kGenericMr; ++i)
    for (int j = 0; j < kGenericNr; ++j) t[i][j] = accumulate ? c[i * ldc + j] : 0.f;
  for (int64_t k = 0; k < kc; ++k, a += kGenericMr, b += kGenericNr)
    for (int i = 0; i < kGenericMr; ++i)
      for (int j = 0; j < kGenericNr; ++j) t[i][j] = std::fma(a[i], b[j], t[i][j]);
  for (int i = 0; i < kGenericMr; ++i)
    for (int j = 0; j < kGenericNr; ++j) c[i * ldc + j] = t[i][j];
}

}  // namespace

MicroKernel generic_micro_kernel() { return {kGenericMr, kGenericNr, micro_generic, "generic 4x16"}; }

}  // namespace gemm_detail

namespace {

using gemm_detail::MicroKernel;

// k block: an A micro-panel (mr x kc) stays in L1 while the kernel sweeps a row of C tiles.
constexpr int64_t kGemmKc = 256;
// column block: packed B (kc x nc floats = 1 MB) stays in L2 while every row block of C reads it.
constexpr int64_t kGemmNc = 1024;
// Below this many multiply-adds a product is not worth waking the OpenMP team for.
constexpr int64_t kParallelMinWork = int64_t(1) << 18;

MicroKernel kernel_for(CpuIsa isa) {
#if defined(YOLOPICK_X86_KERNELS)
  if (isa == CpuIsa::Avx512) return gemm_detail::avx512_micro_kernel();
  if (isa == CpuIsa::Avx2) return gemm_detail::avx2_micro_kernel();
#endif
  (void)isa;
  return gemm_detail::generic_micro_kernel();
}

// out[(p*kc + k)*nr + jj] = B(k0 + k, n0 + p*nr + jj), zero past column n0 + width.
void pack_b_panels(MatrixRef<float> b, int64_t k0, int64_t kc, int64_t n0, int64_t width, int nr, float* out) {
  const int64_t panels = (width + nr - 1) / nr;
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t j0 = n0 + p * nr, cols = std::min<int64_t>(nr, n0 + width - j0);
    float* dst = out + p * kc * nr;
    if (b.col_stride == 1) {  // rows of B are contiguous
      for (int64_t k = 0; k < kc; ++k, dst += nr) {
        std::memcpy(dst, b.data + (k0 + k) * b.row_stride + j0, sizeof(float) * cols);
        std::fill(dst + cols, dst + nr, 0.f);
      }
    } else {  // read along k (contiguous when B is a transposed row-major matrix, or A's rows for pack_a_panel)
      for (int64_t jj = 0; jj < nr; ++jj) {
        if (jj >= cols) {
          for (int64_t k = 0; k < kc; ++k) dst[k * nr + jj] = 0.f;
          continue;
        }
        const float* src = b.data + (j0 + jj) * b.col_stride + k0 * b.row_stride;
        for (int64_t k = 0; k < kc; ++k) dst[k * nr + jj] = src[k * b.row_stride];
      }
    }
  }
}

// out[k*mr + i] = A(m0 + i, k0 + k), zero past row m0 + rows: one micro-panel of A is one of A^T's B panels.
void pack_a_panel(MatrixRef<float> a, int64_t m0, int64_t rows, int64_t k0, int64_t kc, int mr, float* out) {
  pack_b_panels(a.transposed(), k0, kc, m0, rows, mr, out);
}

// Rows [m0, m1) x columns [n0, n1) of C on the calling thread. a_panel(ib, rows, kb, kc) gives the packed
// A micro-panel of rows ib.. and k block kb..; pack_b(kb, kc, nb, width, out) packs B's k block for columns
// nb..; epilogue (may be null) sees each tile after its last k block.
template <typename APanel, typename PackB>
void gemm_block(const MicroKernel& kern, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K,
                const APanel& a_panel, const PackB& pack_b, float* c, int64_t ldc, bool accumulate,
                const TileEpilogueFn* epilogue) {
  const int mr = kern.mr, nr = kern.nr;
  thread_local std::vector<float> b_pack, edge;
  b_pack.resize((size_t)(kGemmKc * ((kGemmNc + nr - 1) / nr) * nr));
  edge.assign((size_t)(mr * nr), 0.f);
  for (int64_t nb = n0; nb < n1; nb += kGemmNc) {
    const int64_t width = std::min(kGemmNc, n1 - nb), panels = (width + nr - 1) / nr;
    for (int64_t kb = 0; kb < K; kb += kGemmKc) {
      const int64_t kc = std::min(kGemmKc, K - kb);
      const bool acc = accumulate || kb > 0, last = kb + kc == K;
      pack_b(kb, kc, nb, width, b_pack.data());
      for (int64_t ib = m0; ib < m1; ib += mr) {
        const int64_t rows = std::min<int64_t>(mr, m1 - ib);
        const float* ap = a_panel(ib, rows, kb, kc);
        for (int64_t p = 0; p < panels; ++p) {
          const int64_t j = nb + p * nr, cols = std::min<int64_t>(nr, n1 - j);
          float* tile = c + ib * ldc + j;
          const float* bp = b_pack.data() + p * kc * nr;
          if (rows == mr && cols == nr) {
            kern.run(kc, ap, bp, tile, ldc, acc);
          } else {
            for (int64_t i = 0; i < rows && acc; ++i)
              std::memcpy(&edge[(size_t)(i * nr)], tile + i * ldc, sizeof(float) * cols);
            kern.run(kc, ap, bp, edge.data(), nr, acc);
            for (int64_t i = 0; i < rows; ++i) std::memcpy(tile + i * ldc, &edge[(size_t)(i * nr)], sizeof(float) * cols);
          }
          if (last && epilogue) (*epilogue)(ib, rows, tile, ldc, cols);
        }
      }
    }
  }
}

// gemm_block on strided A and B, both packed as it goes.
void gemm_block_strided(const MicroKernel& kern, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K,
                        MatrixRef<float> a, MatrixRef<float> b, float* c, int64_t ldc, bool accumulate) {
  thread_local std::vector<float> a_pack;
  a_pack.resize((size_t)(kern.mr * kGemmKc));
  const auto a_panel = [&](int64_t ib, int64_t rows, int64_t kb, int64_t kc) {
    pack_a_panel(a, ib, rows, kb, kc, kern.mr, a_pack.data());
    return (const float*)a_pack.data();
  };
  const auto pack_b_block = [&](int64_t kb, int64_t kc, int64_t nb, int64_t width, float* out) {
    pack_b_panels(b, kb, kc, nb, width, kern.nr, out);
  };
  gemm_block(kern, m0, m1, n0, n1, K, a_panel, pack_b_block, c, ldc, accumulate, nullptr);
}

}  // namespace

void gemm(int64_t M, int64_t N, int64_t K, MatrixRef<float> a, MatrixRef<float> b, float* c, int64_t ldc,
          bool accumulate, bool parallel) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, 0.f);
    return;
  }
  const MicroKernel kern = kernel_for(cpu_isa());
  const int threads = parallel && M * N * K >= kParallelMinWork && !omp_in_parallel() ? cpu_threads() : 1;
  if (threads <= 1) return gemm_block_strided(kern, 0, M, 0, N, K, a, b, c, ldc, accumulate);
  // Whole micro-tiles per thread: contiguous column ranges when there are enough nr-wide panels, else row
  // ranges. Which thread computes a tile does not change its chain.
  const int64_t col_panels = (N + kern.nr - 1) / kern.nr, row_panels = (M + kern.mr - 1) / kern.mr;
  const bool split_columns = col_panels >= threads || col_panels >= row_panels;
  const int64_t units = split_columns ? col_panels : row_panels;
  const int parts = (int)std::min<int64_t>(threads, units);
#pragma omp parallel for num_threads(parts) schedule(static)
  for (int part = 0; part < parts; ++part) {
    const int64_t u0 = units * part / parts, u1 = units * (part + 1) / parts;
    if (split_columns)
      gemm_block_strided(kern, 0, M, u0 * kern.nr, std::min(N, u1 * kern.nr), K, a, b, c, ldc, accumulate);
    else
      gemm_block_strided(kern, u0 * kern.mr, std::min(M, u1 * kern.mr), 0, N, K, a, b, c, ldc, accumulate);
  }
}

PackedA pack_a(int64_t M, int64_t K, MatrixRef<float> a) {
  const MicroKernel kern = kernel_for(cpu_isa());
  PackedA packed{M, K, kern.mr, kern.nr, {}};
  const int64_t m_padded = (M + kern.mr - 1) / kern.mr * kern.mr;
  packed.data.resize((size_t)(m_padded * K));
  for (int64_t kb = 0; kb < K; kb += kGemmKc) {
    const int64_t kc = std::min(kGemmKc, K - kb);
    for (int64_t ib = 0; ib < M; ib += kern.mr)
      pack_a_panel(a, ib, std::min<int64_t>(kern.mr, M - ib), kb, kc, kern.mr,
                   packed.data.data() + kb * m_padded + ib * kc);
  }
  return packed;
}

void gemm_packed(const PackedA& a, int64_t N, const PackBFn& pack_b, float* c, int64_t ldc,
                 const TileEpilogueFn* epilogue) {
  const MicroKernel kern = kernel_for(cpu_isa());
  YP_CHECK(a.mr == kern.mr, "gemm_packed: A was packed for another micro-kernel");
  if (a.M <= 0 || N <= 0) return;
  const int64_t m_padded = (a.M + kern.mr - 1) / kern.mr * kern.mr;
  const auto a_panel = [&](int64_t ib, int64_t, int64_t kb, int64_t kc) {
    return a.data.data() + kb * m_padded + ib * kc;
  };
  const auto pack_b_block = [&](int64_t kb, int64_t kc, int64_t nb, int64_t width, float* out) {
    pack_b(kb, kc, nb, width, kern.nr, out);
  };
  if (a.K <= 0) {  // no k block runs: C = 0, then the epilogue
    for (int64_t i = 0; i < a.M; ++i) std::fill(c + i * ldc, c + i * ldc + N, 0.f);
    if (epilogue) (*epilogue)(0, a.M, c, ldc, N);
    return;
  }
  gemm_block(kern, 0, a.M, 0, N, a.K, a_panel, pack_b_block, c, ldc, false, epilogue);
}

template <typename T>
void gemm_reference(int64_t M, int64_t N, int64_t K, MatrixRef<T> a, MatrixRef<T> b, T* c, int64_t ldc,
                    bool accumulate) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      T sum = accumulate ? c[i * ldc + j] : T(0);
      for (int64_t k = 0; k < K; ++k) sum = std::fma(a.at(i, k), b.at(k, j), sum);
      c[i * ldc + j] = sum;
    }
}
template void gemm_reference<float>(int64_t, int64_t, int64_t, MatrixRef<float>, MatrixRef<float>, float*, int64_t, bool);
template void gemm_reference<double>(int64_t, int64_t, int64_t, MatrixRef<double>, MatrixRef<double>, double*, int64_t,
                                     bool);

const char* gemm_kernel_name() { return kernel_for(cpu_isa()).name; }

}  // namespace yp
