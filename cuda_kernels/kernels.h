// kernels.h: every CUDA kernel entry point the tensor ops dispatch to (one header per op).
#pragma once

#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/elementwise.h"
