// conv2d.h (CUDA): 2-D convolution forward and backward on float32 device arrays, as a kernel lab.
//
//   x (N, C, H, W), w (K, C, R, S), b (K) or nullptr, y (N, K, P, Q), all contiguous row-major.
//   y[n,k,p,q] = b[k] + sum_{c,r,s} w[k,c,r,s] * x[n, c, p*stride - pad + r, q*stride - pad + s]
//
// As a GEMM per image: Y_n (K x PQ) = W (K x CRS) * col_n (CRS x PQ), col_n[(c,r,s),(p,q)] being the
// input value under weight (c,r,s) for output pixel (p,q) (zero in the padding). The numbered
// variants are the steps from a naive loop to tensor cores; docs/cuda.md explains what each buys:
//   1 direct        one thread per output, loops over c, r, s (the spec, in CUDA)
//   2 im2col+naive  col_n materialised, one thread per GEMM output
//   3 im2col+tiled  32x32 shared-memory tiles: each loaded value is reused 32 times
//   4 im2col+reg    64x64 block tile, 4x4 outputs per thread held in registers
//   5 implicit      variant 4 reading col values straight from x (no col buffer, batch folded into
//                   the GEMM's N dimension, one launch)
//   6 tensor cores  variant 5's tiling with WMMA 16x16 fragments: TF32 (float inputs rounded to a
//                   10-bit mantissa) or FP16/BF16 inputs, always accumulated in FP32
// All launch on current_stream() (stream.h). The im2col variants borrow the col buffer from the
// caching allocator, one image at a time.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <string>

namespace yp::cuda {

struct Conv2dShape {
  int n = 0, c = 0, h = 0, w = 0;  // input
  int k = 0, r = 0, s = 0;         // weight
  int stride = 1, pad = 0;
  int p = 0, q = 0;                // output, from the above

  static Conv2dShape make(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
    Conv2dShape sh;
    sh.n = n, sh.c = c, sh.h = h, sh.w = w, sh.k = k, sh.r = r, sh.s = s, sh.stride = stride, sh.pad = pad;
    sh.p = (h + 2 * pad - r) / stride + 1;
    sh.q = (w + 2 * pad - s) / stride + 1;
    return sh;
  }
  int64_t x_numel() const { return (int64_t)n * c * h * w; }
  int64_t w_numel() const { return (int64_t)k * c * r * s; }
  int64_t y_numel() const { return (int64_t)n * k * p * q; }
  int64_t gemm_k() const { return (int64_t)c * r * s; }
  double flops() const { return 2.0 * (double)y_numel() * (double)gemm_k(); }  // forward multiply-adds x2
  std::string str() const;  // "N1 C3 H640 W640 K16 R6 S6 s2 p2"
};

// --- forward, the lab (float in, float out) ---
void conv2d_forward_kernel1(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel2(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel3(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel4(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel5(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel6_tf32(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel6_f16(const __half* x, const __half* w, const float* b, float* y, const Conv2dShape& s);
void conv2d_forward_kernel6_bf16(const __nv_bfloat16* x, const __nv_bfloat16* w, const float* b, float* y,
                                 const Conv2dShape& s);

// Inference: conv with BN already folded into (w, b) (tensor/ops/batchnorm2d.h fold_batchnorm) and
// SiLU applied in the epilogue, so a YOLOv5 Conv block is one kernel and one write of y.
void conv2d_bias_silu_forward(const float* x, const float* w_folded, const float* b_folded, float* y,
                              const Conv2dShape& s);

// --- the engine's choice ---
enum class Conv2dMath { FP32, TF32 };  // FP32 = exact float FMA; TF32 allows tensor cores
// Runs the fastest FP32 variant (3, 4 or 5) for this shape, timed once per shape on first use and
// remembered; while a graph is being captured an untimed shape falls back to variant 5. TF32 math
// runs variant 6.
void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s,
                    Conv2dMath math = Conv2dMath::FP32);
// The variant number conv2d_forward has settled on for s (0 when not yet timed).
int conv2d_chosen_variant(const Conv2dShape& s);

// --- backward ---
// dx = conv_transpose(dy, w): each input element gathers the outputs whose window covers it.
void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dShape& s);
// dw[k,(c,r,s)] = sum_{n,p,q} dy[n,k,p,q] * col_n[(c,r,s),(p,q)]  (overwrites dw)
void conv2d_backward_weight(const float* x, const float* dy, float* dw, const Conv2dShape& s);
// db[k] = sum_{n,p,q} dy[n,k,p,q]  (overwrites db)
void conv2d_backward_bias(const float* dy, float* db, const Conv2dShape& s);

}  // namespace yp::cuda
