// dispatch.h: how an op reaches its CUDA kernel.
//
// Ops call raw-pointer kernels declared in cuda_kernels/*.h inside YP_CUDA_DISPATCH(...). In a
// CUDA build the statement runs; in a CPU-only build it compiles to a clear error, so no op needs
// its own #if. (A CUDA tensor cannot exist in a CPU-only build, so that error is a safety net.)
// YP_CUDNN_DISPATCH(...) is the same for the cuDNN yardstick (cuda_kernels/cudnn/), which a CUDA build
// may lack.
#pragma once

#include "tensor/tensor.h"

#if YOLOPICK_WITH_CUDA
#include "cuda_kernels/kernels.h"
#define YP_CUDA_DISPATCH(...) \
  do {                        \
    __VA_ARGS__;              \
  } while (0)
#else
#define YP_CUDA_DISPATCH(...) throw ::yp::Error("this build has no CUDA backend")
#endif

#if YOLOPICK_WITH_CUDNN
#define YP_CUDNN_DISPATCH(...) \
  do {                         \
    __VA_ARGS__;               \
  } while (0)
#else
#define YP_CUDNN_DISPATCH(...) throw ::yp::Error("this build has no cuDNN")
#endif
