// kernels.h: every CUDA kernel entry point the tensor ops dispatch to (one header per op).
#pragma once

#include "cuda_kernels/batchnorm2d.h"
#include "cuda_kernels/bce_with_logits.h"
#include "cuda_kernels/concat.h"
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/detect_decode.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/optimizer_update.h"
#include "cuda_kernels/permute.h"
#include "cuda_kernels/reduce.h"
#include "cuda_kernels/stream.h"
#include "cuda_kernels/upsample.h"
#if YOLOPICK_WITH_CUDNN
#include "cuda_kernels/cudnn/conv2d_cudnn.h"
#endif
