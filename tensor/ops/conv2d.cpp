// conv2d.cpp: see conv2d.h and docs/conv2d.md (im2col picture, GEMM shapes, backward derivation).
//
// Per image n, with CRS = C*R*S and PQ = P*Q, the convolution is one matrix product
//   Y_n (K x PQ) = W (K x CRS) * col_n (CRS x PQ),   col_n[(c*R + r)*S + s][p*Q + q] = x[n, c, p*st-pad+r, q*st-pad+s]
// computed by tensor/cpu/gemm.h (float32; gemm_reference for float64). A 1x1/stride-1/pad-0 conv has
// col_n == x_n (C x HW), so it is a bare GEMM.
//
// col_n is R*S times bigger than the image (the 3x3 C=64 layer at 512x512 would be 600 MB), so it
// is built one band of output rows at a time: the band [p0, p1) needs columns (p0*Q .. p1*Q) of
// col_n, writes columns (p0*Q .. p1*Q) of Y_n, and its buffer stays below kColBudgetElements.
//   forward:  bands are independent (disjoint output columns), so threads take whole bands, each
//             running im2col and a single-threaded GEMM on its own buffer.
//   backward: dW_n = dY_n * col_n^T and dx += col2im(W^T * dY_n). Bands of one image overlap in x (a 3x3
//             kernel reads input rows shared by neighbouring output rows), so col2im accumulates (+=) into
//             dx and the bands of one image run one after the other. Threads split the images when there
//             are enough; otherwise every band uses all threads (GEMM split by C tiles, im2col by col rows,
//             col2im by channels).
// Same bits on any thread count: every GEMM output is one fixed chain (gemm.h); the weight gradient is a
// partial per image (its chain runs over the image's columns in order, band after band), summed in image
// order; the backward's bands depend on the shape only, so col2im adds into each dx element in one order.
#include "tensor/ops/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/cpu/gemm.h"
#include "tensor/ops/dispatch.h"
#include "tensor/ops/elementwise.h"
#include "tensor/parallel.h"

namespace yp {

namespace {

// 1 Mi elements = 4 MB of float32 col buffer per thread: it stays in cache between im2col writing it
// and the GEMM reading it, and Eigen's GEMM keeps its full speed on such panels (>= 450 columns even
// for the 256-channel 3x3 layers). Measured against 512 Ki, 2 Mi and 4 Mi in docs/perf.md.
constexpr int64_t kColBudgetElements = int64_t(1) << 20;
// The fast forward's widest band of output columns: its packed B (kGemmKc x 1024 floats, 1 MB) stays in L2.
constexpr int64_t kMaxBandColumns = 1024;
// Bands per thread the forward aims for (see split_into_bands).
constexpr int64_t kBandsPerThread = 4;
// Below this many elements a loop is not worth waking the OpenMP team for.
constexpr int64_t kParallelMinElements = int64_t(1) << 15;

struct ConvGeometry {
  int64_t N, C, H, W;  // input
  int64_t K, R, S;     // weight (K, C, R, S)
  int64_t P, Q;        // output spatial size
  int64_t stride, pad;

  int64_t crs() const { return C * R * S; }
  int64_t pq() const { return P * Q; }
  // col_n is x_n itself (C x HW): no im2col, no col2im.
  bool col_is_input() const { return R == 1 && S == 1 && stride == 1 && pad == 0; }
  // Output rows per band so that the (CRS x rows*Q) col buffer fits the budget; at least one row.
  int64_t band_rows() const { return std::clamp<int64_t>(kColBudgetElements / (crs() * Q), 1, P); }
};

// C (M x N, rows ldc apart) = [C +] A * B: the packed SIMD GEMM for float32, the reference chain for float64.
template <typename T>
void matmul(int64_t M, int64_t N, int64_t K, MatrixRef<T> a, MatrixRef<T> b, T* c, int64_t ldc, bool accumulate) {
  if constexpr (std::is_same_v<T, float>)
    gemm(M, N, K, a, b, c, ldc, accumulate, /*parallel=*/true);
  else
    gemm_reference(M, N, K, a, b, c, ldc, accumulate);
}

// A rows x cols row-major matrix at p whose rows are `row_stride` elements apart, and its transpose.
template <typename T> MatrixRef<T> rows_of(const T* p, int64_t row_stride) { return {p, row_stride, 1}; }
template <typename T> MatrixRef<T> transposed_rows_of(const T* p, int64_t row_stride) { return {p, 1, row_stride}; }

// The output columns q whose input column w = q*stride - pad + s lies inside [0, W): [lo, hi).
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_columns(const ConvGeometry& g, int64_t s) {
  const int64_t first = g.pad - s;          // w >= 0  <=>  q*stride >= pad - s
  const int64_t last = g.W - 1 + g.pad - s;  // w < W   <=>  q*stride <= W - 1 + pad - s
  int64_t lo = first <= 0 ? 0 : (first + g.stride - 1) / g.stride;
  int64_t hi = last < 0 ? 0 : last / g.stride + 1;
  lo = std::min(lo, g.Q);
  hi = std::clamp(hi, lo, g.Q);
  return {lo, hi};
}

// col[(c*R + r)*S + s][(p - p0)*Q + q] = x[c, p*stride - pad + r, q*stride - pad + s], zero outside the
// image, for output rows p in [p0, p1) of one image x (C, H, W), col rows [row_begin, row_end).
template <typename T>
void im2col_rows(const T* x, const ConvGeometry& g, int64_t p0, int64_t p1, int64_t row_begin, int64_t row_end,
                 T* col) {
  const int64_t width = (p1 - p0) * g.Q;
  for (int64_t row = row_begin; row < row_end; ++row) {
    const int64_t c = row / (g.R * g.S), r = (row / g.S) % g.R, s = row % g.S;
    const ValidRange v = valid_columns(g, s);
    const T* xc = x + c * g.H * g.W;
    T* out = col + row * width;
    for (int64_t p = p0; p < p1; ++p, out += g.Q) {
      const int64_t h = p * g.stride - g.pad + r;
      if (h < 0 || h >= g.H) {
        std::fill(out, out + g.Q, T(0));
        continue;
      }
      const T* xrow = xc + h * g.W - g.pad + s;  // xrow[q*stride] = x[c, h, q*stride - pad + s]
      std::fill(out, out + v.lo, T(0));
      if (g.stride == 1) {
        std::memcpy(out + v.lo, xrow + v.lo, sizeof(T) * (v.hi - v.lo));
      } else if (g.stride == 2) {  // a constant stride lets the compiler vectorise (loads + even-lane shuffles)
        for (int64_t q = v.lo; q < v.hi; ++q) out[q] = xrow[q * 2];
      } else {
        for (int64_t q = v.lo; q < v.hi; ++q) out[q] = xrow[q * g.stride];
      }
      std::fill(out + v.hi, out + g.Q, T(0));
    }
  }
}

// The whole band, every thread filling its share of the col rows.
template <typename T>
void im2col_band_parallel(const T* x, const ConvGeometry& g, int64_t p0, int64_t p1, T* col) {
  const int64_t rows = g.crs();
#pragma omp parallel for schedule(static) if (rows * (p1 - p0) * g.Q > kParallelMinElements)
  for (int64_t row = 0; row < rows; ++row) im2col_rows(x, g, p0, p1, row, row + 1, col);
}

// The adjoint of im2col_rows: dx[c, p*stride - pad + r, q*stride - pad + s] += dcol[(c*R + r)*S + s][(p - p0)*Q + q]
// for channels [c_begin, c_end). Several (r, s, p, q) hit one dx element, so a parallel caller splits
// the channels: each thread then owns whole dx planes.
template <typename T>
void col2im_channels(const T* dcol, const ConvGeometry& g, int64_t p0, int64_t p1, int64_t c_begin, int64_t c_end,
                     T* dx) {
  const int64_t width = (p1 - p0) * g.Q;
  for (int64_t c = c_begin; c < c_end; ++c) {
    T* dxc = dx + c * g.H * g.W;
    for (int64_t r = 0; r < g.R; ++r) {
      for (int64_t s = 0; s < g.S; ++s) {
        const ValidRange v = valid_columns(g, s);
        const T* in = dcol + ((c * g.R + r) * g.S + s) * width;
        for (int64_t p = p0; p < p1; ++p, in += g.Q) {
          const int64_t h = p * g.stride - g.pad + r;
          if (h < 0 || h >= g.H) continue;
          T* dxrow = dxc + h * g.W - g.pad + s;
          for (int64_t q = v.lo; q < v.hi; ++q) dxrow[q * g.stride] += in[q];
        }
      }
    }
  }
}

template <typename T>
void col2im_band_parallel(const T* dcol, const ConvGeometry& g, int64_t p0, int64_t p1, T* dx) {
#pragma omp parallel for schedule(static) if (g.crs() * (p1 - p0) * g.Q > kParallelMinElements)
  for (int64_t c = 0; c < g.C; ++c) col2im_channels(dcol, g, p0, p1, c, c + 1, dx);
}

// One band of output rows [p0, p1) of image n: the forward's unit of parallel work.
struct Band {
  int64_t n, p0, p1;
};

// Cuts every image into bands of at most band_rows() output rows, and into at least
// kBandsPerThread * threads bands in all (where there are rows enough), so that the dynamic schedule
// can even out threads that lose their core to another process for a while.
std::vector<Band> split_into_bands(const ConvGeometry& g, int threads) {
  const int64_t wanted = (kBandsPerThread * threads + g.N - 1) / g.N;
  const int64_t per_image = std::min(g.P, std::max((g.P + g.band_rows() - 1) / g.band_rows(), wanted));
  const int64_t rows = (g.P + per_image - 1) / per_image;
  std::vector<Band> bands;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t p0 = 0; p0 < g.P; p0 += rows) bands.push_back({n, p0, std::min(g.P, p0 + rows)});
  return bands;
}

// SiLU in place over the K rows of one band (width columns each, rows pq apart), with silu()'s own loop.
template <typename T> void silu_band(T* yb, const ConvGeometry& g, int64_t width) {
  for (int64_t k = 0; k < g.K; ++k) silu_span(yb + k * g.pq(), yb + k * g.pq(), width);
}

// The readable forward (float64, and the reference of the float32 path): per band of output rows, im2col
// into a col matrix, then the GEMM, then bias and SiLU over the band. Bands run in parallel.
template <typename T>
void conv2d_forward_reference(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g, bool fuse_silu) {
  if (g.N == 0) return;
  const std::vector<Band> bands = split_into_bands(g, cpu_threads());
  const int64_t max_width = g.band_rows() * g.Q;
#pragma omp parallel if (bands.size() > 1)
  {
    std::vector<T> col(g.col_is_input() ? 0 : static_cast<size_t>(g.crs() * max_width));
#pragma omp for schedule(dynamic)
    for (size_t i = 0; i < bands.size(); ++i) {
      const Band& b = bands[i];
      const int64_t width = (b.p1 - b.p0) * g.Q;
      const T* xn = x + b.n * g.C * g.H * g.W;
      T* yb = y + b.n * g.K * g.pq() + b.p0 * g.Q;  // Y_n's columns p0*Q .. p1*Q
      if (g.col_is_input()) {
        matmul(g.K, width, g.C, rows_of(w, g.crs()), rows_of(xn + b.p0 * g.Q, g.pq()), yb, g.pq(), false);
      } else {
        im2col_rows(xn, g, b.p0, b.p1, 0, g.crs(), col.data());
        matmul(g.K, width, g.crs(), rows_of(w, g.crs()), rows_of(col.data(), width), yb, g.pq(), false);
      }
      if (bias)
        for (int64_t k = 0; k < g.K; ++k) {
          T* row = yb + k * g.pq();
          for (int64_t j = 0; j < width; ++j) row[j] += bias[k];
        }
      if (fuse_silu) silu_band(yb, g, width);
    }
  }
}

// One row of col for the output columns [j0, j1) of one image (j = p*Q + q), contiguous in out.
void im2col_row_range(const float* x, const ConvGeometry& g, int64_t row, int64_t j0, int64_t j1, float* out) {
  const int64_t c = row / (g.R * g.S), r = (row / g.S) % g.R, s = row % g.S;
  const ValidRange v = valid_columns(g, s);
  const float* xc = x + c * g.H * g.W;
  for (int64_t p = j0 / g.Q; p * g.Q < j1; ++p) {
    const int64_t qa = std::max(j0 - p * g.Q, int64_t(0)), qb = std::min(j1 - p * g.Q, g.Q);
    const int64_t h = p * g.stride - g.pad + r;
    if (h < 0 || h >= g.H) {
      std::fill(out, out + (qb - qa), 0.f);
      out += qb - qa;
      continue;
    }
    const float* xrow = xc + h * g.W - g.pad + s;  // xrow[q*stride] = x[c, h, q*stride - pad + s]
    const int64_t lo = std::clamp(v.lo, qa, qb), hi = std::clamp(v.hi, lo, qb);
    std::fill(out, out + (lo - qa), 0.f);
    float* o = out + (lo - qa);
    if (g.stride == 1)
      std::memcpy(o, xrow + lo, sizeof(float) * (hi - lo));
    else if (g.stride == 2)  // a constant stride lets the compiler vectorise (loads + even-lane shuffles)
      for (int64_t q = lo; q < hi; ++q) *o++ = xrow[q * 2];
    else
      for (int64_t q = lo; q < hi; ++q) *o++ = xrow[q * g.stride];
    std::fill(out + (hi - qa), out + (qb - qa), 0.f);
    out += qb - qa;
  }
}

// A range of output columns [j0, j1) of image n: the fast forward's unit of parallel work.
struct ColumnBand {
  int64_t n, j0, j1;
};

// Cuts every image's P*Q output columns into bands of whole nr-wide panels, at most kMaxBandColumns wide,
// and into at least kBandsPerThread * threads bands in all where there are panels enough (the dynamic
// schedule then evens out a thread that loses its core for a while). The bits do not depend on the cut.
std::vector<ColumnBand> split_into_column_bands(const ConvGeometry& g, int threads, int nr) {
  const int64_t panels = (g.pq() + nr - 1) / nr;
  const int64_t wanted = (kBandsPerThread * threads + g.N - 1) / g.N;
  const int64_t by_size = (g.pq() + kMaxBandColumns - 1) / kMaxBandColumns;
  const int64_t per_image = std::clamp<int64_t>(std::max(wanted, by_size), 1, panels);
  const int64_t band = (panels + per_image - 1) / per_image * nr;
  std::vector<ColumnBand> bands;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t j0 = 0; j0 < g.pq(); j0 += band) bands.push_back({n, j0, std::min(g.pq(), j0 + band)});
  return bands;
}

// The float32 forward: W packed once for the micro-kernel and shared by every band; each band's im2col
// columns are written straight into the GEMM's packed B panels (for a 1x1 conv, x's rows are), and bias and
// SiLU are applied to each C tile as soon as its chain ends, while it is in L1. Same sums as the reference.
void conv2d_forward_fast(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g,
                         bool fuse_silu) {
  if (g.N == 0) return;
  const PackedA a = pack_a(g.K, g.crs(), rows_of(w, g.crs()));
  const std::vector<ColumnBand> bands = split_into_column_bands(g, cpu_threads(), a.nr);
  const TileEpilogueFn epilogue = [&](int64_t row0, int64_t rows, float* c, int64_t ldc, int64_t cols) {
    for (int64_t i = 0; i < rows; ++i) {
      float* row = c + i * ldc;
      if (bias)
        for (int64_t j = 0; j < cols; ++j) row[j] += bias[row0 + i];
      if (fuse_silu) silu_span(row, row, cols);
    }
  };
#pragma omp parallel for schedule(dynamic) if (bands.size() > 1)
  for (size_t i = 0; i < bands.size(); ++i) {
    const ColumnBand b = bands[i];
    const float* xn = x + b.n * g.C * g.H * g.W;
    thread_local std::vector<float> col_row;
    col_row.resize((size_t)(b.j1 - b.j0));
    const PackBFn pack_b = [&](int64_t k0, int64_t kc, int64_t n0, int64_t width, int nr, float* out) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = xn + (k0 + k) * g.pq() + b.j0 + n0;
        if (!g.col_is_input()) {
          im2col_row_range(xn, g, k0 + k, b.j0 + n0, b.j0 + n0 + width, col_row.data());
          src = col_row.data();
        }
        for (int64_t p = 0; p * nr < width; ++p) {
          const int64_t cols = std::min<int64_t>(nr, width - p * nr);
          float* dst = out + (p * kc + k) * nr;
          std::memcpy(dst, src + p * nr, sizeof(float) * cols);
          std::fill(dst + cols, dst + nr, 0.f);
        }
      }
    };
    const TileEpilogueFn* epi = bias || fuse_silu ? &epilogue : nullptr;
    gemm_packed(a, b.j1 - b.j0, pack_b, y + b.n * g.K * g.pq() + b.j0, g.pq(), epi);
  }
}

template <typename T>
void conv2d_forward_cpu(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g, bool fuse_silu = false) {
  if constexpr (std::is_same_v<T, float>)
    conv2d_forward_fast(x, w, bias, y, g, fuse_silu);
  else
    conv2d_forward_reference(x, w, bias, y, g, fuse_silu);
}

// The backward of one image: dw_n = dY_n col_n^T (dw_n zeroed by the caller), dx_n = col2im(W^T dY_n) (dx_n
// zeroed by the caller unless col is x). Called from inside an OpenMP region, every step runs on the calling
// thread (nested regions get one thread, gemm() stays serial); called outside, every step uses all.
template <typename T>
void conv2d_backward_image(const T* xn, const T* w, const T* dyn, const ConvGeometry& g, T* dxn, T* dw_n,
                           std::vector<T>& col) {
  if (g.col_is_input()) {
    if (dw_n) matmul(g.K, g.C, g.pq(), rows_of(dyn, g.pq()), transposed_rows_of(xn, g.pq()), dw_n, g.C, true);
    if (dxn) matmul(g.C, g.pq(), g.K, transposed_rows_of(w, g.crs()), rows_of(dyn, g.pq()), dxn, g.pq(), false);
    return;
  }
  const int64_t band = g.band_rows();
  col.resize(static_cast<size_t>(g.crs() * band * g.Q));
  for (int64_t p0 = 0; p0 < g.P; p0 += band) {
    const int64_t p1 = std::min(g.P, p0 + band), width = (p1 - p0) * g.Q;
    const MatrixRef<T> dY = rows_of(dyn + p0 * g.Q, g.pq());
    if (dw_n) {  // the chain of each dw element continues over this band's columns
      im2col_band_parallel(xn, g, p0, p1, col.data());
      matmul(g.K, g.crs(), width, dY, transposed_rows_of(col.data(), width), dw_n, g.crs(), true);
    }
    if (dxn) {
      matmul(g.crs(), width, g.K, transposed_rows_of(w, g.crs()), dY, col.data(), width, false);  // col = dcol
      col2im_band_parallel(col.data(), g, p0, p1, dxn);
    }
  }
}

// dx, dw, db may each be null (that gradient is not wanted). dx and dw are overwritten.
// The weight gradient is one partial per image, summed in image order afterwards, whichever thread
// computed each. With at least as many images as threads, threads take whole images (no barrier inside);
// otherwise images run one after the other with every thread inside each step.
template <typename T>
void conv2d_backward_cpu(const T* x, const T* w, const T* dy, const ConvGeometry& g, T* dx, T* dw, T* db) {
  const int64_t image = g.C * g.H * g.W, out_image = g.K * g.pq(), dw_size = g.K * g.crs();
  if (dx && !g.col_is_input()) std::fill(dx, dx + g.N * image, T(0));
  std::vector<T> partials(dw && g.N > 1 ? static_cast<size_t>(g.N * dw_size) : 0, T(0));
  if (dw && g.N == 1) std::fill(dw, dw + dw_size, T(0));
  const auto dw_of = [&](int64_t n) -> T* { return !dw ? nullptr : g.N == 1 ? dw : partials.data() + n * dw_size; };
  const int threads = cpu_threads();
  if (threads > 1 && g.N >= threads) {
#pragma omp parallel num_threads(threads)
    {
      std::vector<T> col;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < g.N; ++n)
        conv2d_backward_image(x + n * image, w, dy + n * out_image, g, dx ? dx + n * image : nullptr, dw_of(n), col);
    }
  } else {
    std::vector<T> col;
    for (int64_t n = 0; n < g.N; ++n)
      conv2d_backward_image(x + n * image, w, dy + n * out_image, g, dx ? dx + n * image : nullptr, dw_of(n), col);
  }
  if (dw && g.N > 1) {
#pragma omp parallel for schedule(static) if (g.N * dw_size > kParallelMinElements)
    for (int64_t i = 0; i < dw_size; ++i) {
      T sum = partials[(size_t)i];
      for (int64_t n = 1; n < g.N; ++n) sum += partials[(size_t)(n * dw_size + i)];
      dw[i] = sum;
    }
  }
  if (db) {
#pragma omp parallel for schedule(static) if (g.N * g.K * g.pq() > kParallelMinElements)
    for (int64_t k = 0; k < g.K; ++k) {
      double sum = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const T* row = dy + (n * g.K + k) * g.pq();
        for (int64_t i = 0; i < g.pq(); ++i) sum += row[i];
      }
      db[k] = static_cast<T>(sum);
    }
  }
}

ConvGeometry check_and_measure(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& prm) {
  check_dim("conv2d", x, 4, "x (N, C, H, W)");
  check_dim("conv2d", weight, 4, "weight (K, C, R, S)");
  check_float("conv2d", x);
  check_same_dtype_device("conv2d", x, weight);
  YP_CHECK(x.device() == Device::CPU || x.dtype() == DType::F32, "conv2d: CUDA tensors must be float32");
  YP_CHECK(prm.stride >= 1 && prm.padding >= 0, "conv2d: stride must be >= 1 and padding >= 0, got stride " +
                                                    std::to_string(prm.stride) + " padding " +
                                                    std::to_string(prm.padding));
  YP_CHECK(x.size(1) == weight.size(1), "conv2d: x has " + std::to_string(x.size(1)) +
                                            " channels but weight " + shape_str(weight.shape()) + " expects " +
                                            std::to_string(weight.size(1)));
  if (bias.defined()) {
    check_same_dtype_device("conv2d", x, bias);
    YP_CHECK(bias.shape() == Shape{weight.size(0)},
             "conv2d: bias must be (" + std::to_string(weight.size(0)) + ",), got " + shape_str(bias.shape()));
  }
  YP_CHECK(x.size(1) >= 1 && weight.size(0) >= 1,
           "conv2d: needs at least one input and one output channel, got x " + shape_str(x.shape()) +
               " and weight " + shape_str(weight.shape()));
  ConvGeometry g;
  g.N = x.size(0), g.C = x.size(1), g.H = x.size(2), g.W = x.size(3);
  g.K = weight.size(0), g.R = weight.size(2), g.S = weight.size(3);
  g.stride = prm.stride, g.pad = prm.padding;
  g.P = conv2d_output_size(g.H, g.R, prm.stride, prm.padding);
  g.Q = conv2d_output_size(g.W, g.S, prm.stride, prm.padding);
  return g;
}

template <typename T> const T* data_or_null(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
template <typename T> T* data_or_null(Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

CudaConvConfig g_cuda_conv_config;

// CUDA (float32): the hand-written kernels of cuda_kernels/conv2d.h, or cuDNN when set_cuda_conv_config selects
// it. The shape and math mode are spelled inside each dispatch, which compiles in CUDA builds only (dispatch.h).
#define YP_CONV_CUDA_SHAPE(g)                                                                                  \
  cuda::Conv2dShape::make((int)(g).N, (int)(g).C, (int)(g).H, (int)(g).W, (int)(g).K, (int)(g).R, (int)(g).S, \
                          (int)(g).stride, (int)(g).pad)
#define YP_CONV_CUDA_MATH (g_cuda_conv_config.allow_tf32 ? cuda::Conv2dMath::TF32 : cuda::Conv2dMath::FP32)

bool use_cudnn() {
  if (g_cuda_conv_config.backend != CudaConvBackend::Cudnn) return false;
  YP_CHECK(YOLOPICK_WITH_CUDNN, "conv2d: the cuDNN backend was requested but this build has no cuDNN");
  return true;
}

// (Parameters are unused in a CPU-only build, where the dispatches only throw.)
void conv2d_forward_cuda([[maybe_unused]] const Tensor& x, [[maybe_unused]] const Tensor& w, const Tensor& b,
                         [[maybe_unused]] Tensor& y, [[maybe_unused]] const ConvGeometry& g) {
  [[maybe_unused]] const float* bias = b.defined() ? b.data<float>() : nullptr;
  if (use_cudnn())
    YP_CUDNN_DISPATCH(cuda::cudnn::conv2d_forward(x.data<float>(), w.data<float>(), bias, y.data<float>(),
                                                  YP_CONV_CUDA_SHAPE(g), YP_CONV_CUDA_MATH));
  else
    YP_CUDA_DISPATCH(cuda::conv2d_forward(x.data<float>(), w.data<float>(), bias, y.data<float>(), YP_CONV_CUDA_SHAPE(g),
                                          YP_CONV_CUDA_MATH));
}

std::vector<Tensor> conv2d_backward_cuda(const Tensor& x, const Tensor& w, bool has_bias, const ConvGeometry& g,
                                         [[maybe_unused]] const Tensor& dy, bool want_dx, bool want_dw, bool want_db) {
  Tensor dx = want_dx ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  Tensor dw = want_dw ? Tensor::empty(w.shape(), w.dtype(), w.device()) : Tensor();
  Tensor db = want_db ? Tensor::empty({g.K}, w.dtype(), w.device()) : Tensor();
  if (use_cudnn()) {
    if (want_dx)
      YP_CUDNN_DISPATCH(cuda::cudnn::conv2d_backward_data(dy.data<float>(), w.data<float>(), dx.data<float>(),
                                                          YP_CONV_CUDA_SHAPE(g), YP_CONV_CUDA_MATH));
    if (want_dw)
      YP_CUDNN_DISPATCH(cuda::cudnn::conv2d_backward_weight(x.data<float>(), dy.data<float>(), dw.data<float>(),
                                                            YP_CONV_CUDA_SHAPE(g), YP_CONV_CUDA_MATH));
  } else {
    if (want_dx)
      YP_CUDA_DISPATCH(cuda::conv2d_backward_data(dy.data<float>(), w.data<float>(), dx.data<float>(), YP_CONV_CUDA_SHAPE(g)));
    if (want_dw)
      YP_CUDA_DISPATCH(cuda::conv2d_backward_weight(x.data<float>(), dy.data<float>(), dw.data<float>(), YP_CONV_CUDA_SHAPE(g)));
  }
  if (want_db) YP_CUDA_DISPATCH(cuda::conv2d_backward_bias(dy.data<float>(), db.data<float>(), YP_CONV_CUDA_SHAPE(g)));
  return {dx, dw, has_bias ? db : Tensor()};
}

template <typename T>
std::vector<Tensor> conv2d_backward(const Tensor& x, const Tensor& w, bool has_bias, const ConvGeometry& g,
                                    const Tensor& dy, bool want_dx, bool want_dw, bool want_db) {
  Tensor dx = want_dx ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
  Tensor dw = want_dw ? Tensor::empty(w.shape(), w.dtype()) : Tensor();
  Tensor db = want_db ? Tensor::empty({g.K}, w.dtype()) : Tensor();
  conv2d_backward_cpu<T>(x.data<T>(), w.data<T>(), dy.data<T>(), g, data_or_null<T>(dx), data_or_null<T>(dw),
                         data_or_null<T>(db));
  return {dx, dw, has_bias ? db : Tensor()};
}

}  // namespace

int64_t conv2d_output_size(int64_t in, int64_t kernel, int stride, int padding) {
  const int64_t span = in + 2 * int64_t(padding) - kernel;
  YP_CHECK(kernel >= 1 && stride >= 1 && span >= 0,
           "conv2d: a kernel of " + std::to_string(kernel) + " does not fit an input of " + std::to_string(in) +
               " with padding " + std::to_string(padding));
  return span / stride + 1;
}

void set_cuda_conv_config(const CudaConvConfig& config) { g_cuda_conv_config = config; }
CudaConvConfig cuda_conv_config() { return g_cuda_conv_config; }

Tensor conv2d_silu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params) {
  if (needs_grad({&x, &weight, &bias}) || x.is_cuda()) return silu(conv2d(x, weight, bias, params));
  const ConvGeometry g = check_and_measure(x, weight, bias, params);
  Tensor y = Tensor::empty({g.N, g.K, g.P, g.Q}, x.dtype(), x.device());
  if (x.dtype() == DType::F64)
    conv2d_forward_cpu<double>(x.data<double>(), weight.data<double>(), data_or_null<double>(bias),
                               y.data<double>(), g, true);
  else
    conv2d_forward_cpu<float>(x.data<float>(), weight.data<float>(), data_or_null<float>(bias), y.data<float>(), g,
                              true);
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params) {
  const ConvGeometry g = check_and_measure(x, weight, bias, params);
  Tensor y = Tensor::empty({g.N, g.K, g.P, g.Q}, x.dtype(), x.device());
  if (x.is_cuda())
    conv2d_forward_cuda(x, weight, bias, y, g);
  else if (x.dtype() == DType::F64)
    conv2d_forward_cpu<double>(x.data<double>(), weight.data<double>(), data_or_null<double>(bias),
                               y.data<double>(), g);
  else
    conv2d_forward_cpu<float>(x.data<float>(), weight.data<float>(), data_or_null<float>(bias), y.data<float>(),
                              g);

  const bool want_dx = x.requires_grad(), want_dw = weight.requires_grad();
  const bool has_bias = bias.defined(), want_db = has_bias && bias.requires_grad();
  // The backward keeps x and weight (not the col buffer, which is rebuilt band by band).
  const Tensor x_saved = x.detach(), w_saved = weight.detach();
  return record("conv2d", y, {x, weight, bias}, [=](const Tensor& dy) {
    if (x_saved.is_cuda()) return conv2d_backward_cuda(x_saved, w_saved, has_bias, g, dy, want_dx, want_dw, want_db);
    if (x_saved.dtype() == DType::F64)
      return conv2d_backward<double>(x_saved, w_saved, has_bias, g, dy, want_dx, want_dw, want_db);
    return conv2d_backward<float>(x_saved, w_saved, has_bias, g, dy, want_dx, want_dw, want_db);
  });
}

}  // namespace yp
