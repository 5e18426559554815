// permute.h (CUDA): reorder the dimensions of a contiguous array, as tensor/ops/permute.h.
//   y.shape[i] = x.shape[dims[i]],   y[i_0, .., i_{D-1}] = x[sum_i i_i * x_stride[dims[i]]]
// The caller passes the output's shape and, per output dimension, the input stride it walks
// (in elements). Elements are moved as 2-, 4- or 8-byte words: permute is pure data movement.
#pragma once

#include <cstdint>

namespace yp::cuda {

struct PermuteShape {
  static constexpr int kMaxDims = 8;
  int dims = 0;
  int64_t out_size[kMaxDims] = {};   // y's shape
  int64_t in_stride[kMaxDims] = {};  // x's stride (elements) along output dimension i
};

void permute_copy(const void* x, void* y, int64_t n, int element_bytes, const PermuteShape& shape);

}  // namespace yp::cuda
