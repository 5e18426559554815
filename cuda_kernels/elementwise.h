// elementwise.h (CUDA): pointwise kernels on float32 device arrays of n elements.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace yp::cuda {

void axpby_f32(const float* a, float alpha, const float* b, float beta, float* out, int64_t n);  // out = alpha a + beta b
void mul_f32(const float* a, const float* b, float* out, int64_t n);
void silu_forward_f32(const float* x, float* y, int64_t n);
void silu_backward_f32(const float* x, const float* dy, float* dx, int64_t n);
void sigmoid_forward_f32(const float* x, float* y, int64_t n);
void sigmoid_backward_f32(const float* y, const float* dy, float* dx, int64_t n);
// Round-to-nearest conversions, for the FP16/BF16 tensor-core convolution inputs.
void convert_f32_to_f16(const float* x, __half* y, int64_t n);
void convert_f32_to_bf16(const float* x, __nv_bfloat16* y, int64_t n);

}  // namespace yp::cuda
