// conv2d.h: 2-D convolution (cross-correlation, as PyTorch), groups = 1, dilation = 1.
//   x (N, C, H, W), weight (K, C, R, S), bias (K) or undefined
//   y[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * x[n, c, p*stride - pad + r, q*stride - pad + s]
//   P = (H + 2 pad - R) / stride + 1,  Q = (W + 2 pad - S) / stride + 1
// CPU: im2col + Eigen GEMM per band of output rows (col buffer <= 4 MB per thread); 1x1/stride-1/pad-0
// convs use x directly as the GEMM operand. float32 and float64 (for gradient checks).
// CUDA (float32): the hand-written kernels of cuda_kernels/conv2d.h (the fastest variant per shape),
// or cuDNN when set_cuda_conv_config selects it (the app's --backend cudnn); see docs/cuda.md.
// Backward: dW = dY * col^T, dcol = W^T * dY then col2im, db = sum of dY. See docs/conv2d.md.
#pragma once

#include "tensor/tensor.h"

namespace yp {

struct Conv2dParams {
  int stride = 1;
  int padding = 0;
};

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params);

// silu(conv2d(x, weight, bias)) for inference: on the CPU the SiLU is applied to each band of output rows
// right after its GEMM, while the band is still in cache, instead of in a second sweep over the whole
// activation (yolov5n at 1024 writes 30 M conv outputs). When autograd would record (grad mode on and an
// input requiring grad) or the tensors are on CUDA, it is exactly silu(conv2d(...)).
Tensor conv2d_silu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& params);

// How conv2d runs on CUDA tensors. allow_tf32 lets it use TF32 tensor cores (~1e-3 relative error).
enum class CudaConvBackend { Hand, Cudnn };
struct CudaConvConfig {
  CudaConvBackend backend = CudaConvBackend::Hand;
  bool allow_tf32 = false;
};
void set_cuda_conv_config(const CudaConvConfig& config);
CudaConvConfig cuda_conv_config();

// Output spatial size for one dimension; throws yp::Error when the kernel does not fit.
int64_t conv2d_output_size(int64_t in, int64_t kernel, int stride, int padding);

}  // namespace yp
