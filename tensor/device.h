// device.h: what the tensor layer needs from a device backend: memory and "is there a GPU?".
// The CUDA side lives in cuda_kernels/ (raw pointers, no Tensor); this file is the only bridge, so
// a CPU-only build (-DYOLOPICK_CUDA=OFF) compiles the same tensor code.
#pragma once

#include <cstddef>
#include <string>

#include "tensor/tensor.h"

namespace yp {

bool built_with_cuda();
bool built_with_cudnn();

// Number of usable CUDA devices: 0 when built without CUDA or when the runtime reports any error
// (no driver, "driver version is insufficient", ...). `reason` says why when it is 0.
int cuda_device_count(std::string* reason = nullptr);
std::string cuda_device_name(int index);

// Throws yp::Error naming `what` when no CUDA device can be used.
void require_cuda(const char* what);

void* device_alloc(size_t bytes, Device device);
void device_free(void* ptr, size_t bytes, Device device);
void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void device_zero(void* ptr, size_t bytes, Device device);

}  // namespace yp
