// gemm.h: the CPU matrix product behind conv2d (float32), with one rounding order for every output.
//
//   C (M x N) = A (M x K) * B (K x N)            accumulate = false
//   C (M x N) = C + A * B                        accumulate = true
// Every C[i][j] is one chain of fused multiply-adds over k = 0, 1, ..., K-1, starting from 0 (or from the
// C it is given): c = fma(A[i][k], B[k][j], c). Blocking, packing, the SIMD width, the split among threads
// and the split of a product into column ranges or into successive k ranges (accumulate) do not change
// that chain, so the result has the same bits on any thread count and with any of the kernels of isa.h.
// gemm_reference is that chain written as three loops: the spec the fast path is tested against.
//
// Fast path (docs/conv2d.md, "The GEMM"): A is packed into mr-row micro-panels and B into nr-column
// micro-panels, k in blocks of kGemmKc, and a register-blocked mr x nr micro-kernel (AVX-512 8 x 48,
// AVX2 4 x 24, generic 4 x 16) runs the chain on each C tile.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace yp {

// A strided view: element (i, j) at data[i * row_stride + j * col_stride]. A row-major matrix has
// col_stride 1; its transpose is the same memory with the strides swapped.
template <typename T> struct MatrixRef {
  const T* data;
  int64_t row_stride, col_stride;
  T at(int64_t i, int64_t j) const { return data[i * row_stride + j * col_stride]; }
  MatrixRef transposed() const { return {data, col_stride, row_stride}; }
};

// C is row-major with rows ldc apart. parallel = true splits the C tiles among the OpenMP threads (call it
// outside a parallel region); false runs on the calling thread.
void gemm(int64_t M, int64_t N, int64_t K, MatrixRef<float> a, MatrixRef<float> b, float* c, int64_t ldc,
          bool accumulate, bool parallel);

// A packed once for many products (a convolution's weights, shared by all its bands and threads), in the
// layout of the micro-kernel in use when it was packed: per k block, per mr-row panel, kc columns of mr.
struct PackedA {
  int64_t M = 0, K = 0;
  int mr = 0, nr = 0;  // the micro-kernel's tile: B panels for gemm_packed are nr wide
  std::vector<float> data;
};
PackedA pack_a(int64_t M, int64_t K, MatrixRef<float> a);

// Writes rows [k0, k0 + kc) x columns [n0, n0 + width) of B as nr-wide micro-panels:
//   out[(p*kc + k)*nr + jj] = B(k0 + k, n0 + p*nr + jj), zero past the width.
// A convolution builds its im2col columns straight into this layout, with no col matrix in between.
using PackBFn = std::function<void(int64_t k0, int64_t kc, int64_t n0, int64_t width, int nr, float* out)>;
// Called once per finished tile: C rows [row0, row0 + rows) x `cols` columns at c (rows ldc apart), while
// the tile is in L1 (bias, SiLU).
using TileEpilogueFn = std::function<void(int64_t row0, int64_t rows, float* c, int64_t ldc, int64_t cols)>;

// C (M x N) = A * B with A pre-packed and B packed by the caller's function, on the calling thread; the
// same chains as gemm().
void gemm_packed(const PackedA& a, int64_t N, const PackBFn& pack_b, float* c, int64_t ldc,
                 const TileEpilogueFn* epilogue);

// The readable chain, float32 or float64 (the float64 convolution of the gradient checks uses it).
template <typename T>
void gemm_reference(int64_t M, int64_t N, int64_t K, MatrixRef<T> a, MatrixRef<T> b, T* c, int64_t ldc,
                    bool accumulate);

// The micro-kernel in use ("avx512 8x48", ...), for benchmarks and `yolopick info`.
const char* gemm_kernel_name();

}  // namespace yp
