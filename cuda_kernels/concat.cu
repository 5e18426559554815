// concat.cu: see concat.h.
#include "cuda_kernels/concat.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

void copy_channel_block(const void* src, int64_t src_channels, int64_t src_start, void* dst, int64_t dst_channels,
                        int64_t dst_start, int64_t length, int64_t batch, int64_t inner, size_t elem_bytes) {
  if (length == 0 || batch == 0 || inner == 0) return;
  const size_t plane_bytes = (size_t)inner * elem_bytes;
  const char* s = static_cast<const char*>(src) + (size_t)src_start * plane_bytes;
  char* d = static_cast<char*>(dst) + (size_t)dst_start * plane_bytes;
  CUDA_CHECK(cudaMemcpy2DAsync(d, (size_t)dst_channels * plane_bytes, s, (size_t)src_channels * plane_bytes,
                               (size_t)length * plane_bytes, (size_t)batch, cudaMemcpyDeviceToDevice,
                               current_stream()));
}

}  // namespace yp::cuda
