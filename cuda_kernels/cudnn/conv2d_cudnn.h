// conv2d_cudnn.h: cuDNN's convolution on the same raw-pointer interface as conv2d.h - the
// yardstick the hand-written kernels are measured against, and the engine's `--backend cudnn`.
// It lives in its own folder and is compiled only when cuDNN is found (YOLOPICK_WITH_CUDNN); the
// hand-written path never calls it.
//
// Math mode is explicit, because it changes both speed and numerics:
//   Conv2dMath::FP32 -> CUDNN_FMA_MATH      (plain float FMA, no tensor cores)
//   Conv2dMath::TF32 -> CUDNN_DEFAULT_MATH  (cuDNN may use TF32 tensor cores for float data)
// The algorithm is found by cudnnFind* (timed) the first time a (shape, math) pair is seen and
// remembered; during graph capture an unseen pair uses cuDNN's heuristic pick instead.
// Layouts as conv2d.h: NCHW / KCRS float32. All calls run on current_stream().
#pragma once

#include "cuda_kernels/conv2d.h"

namespace yp::cuda::cudnn {

const char* math_name(Conv2dMath math);  // "FMA" or "TF32", as printed in benchmark rows

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, Conv2dMath math);
void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dShape& s, Conv2dMath math);
void conv2d_backward_weight(const float* x, const float* dy, float* dw, const Conv2dShape& s, Conv2dMath math);

}  // namespace yp::cuda::cudnn
