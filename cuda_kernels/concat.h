// concat.h (CUDA): the channel-block copy behind concat_channels and narrow_channels
// (tensor/ops/concat.h). For each of `batch` images, `length` channel planes of `inner` elements
// are copied from src (channels src_channels, starting at src_start) to dst (dst_channels,
// dst_start). Any element size: `elem_bytes` per element.
//   concat:  copy_channel_block(x_i, C_i, 0, y, sum C, o_i, C_i, ...)
//   narrow:  copy_channel_block(x, C, start, y, length, 0, length, ...)
// It is one strided 2-D copy (cudaMemcpy2DAsync: `batch` rows of length*inner elements), which the
// copy engines run at full bandwidth; no kernel is needed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace yp::cuda {

void copy_channel_block(const void* src, int64_t src_channels, int64_t src_start, void* dst, int64_t dst_channels,
                        int64_t dst_start, int64_t length, int64_t batch, int64_t inner, size_t elem_bytes);

}  // namespace yp::cuda
