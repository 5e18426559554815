// concat.h: joining and slicing along the channel axis (dim 1), each the other's backward.
//
// Tensors are (N, C, *rest) with at least two dimensions; YOLOv5 uses (N, C, H, W) feature maps
// (the Concat module, C3's two branches) and Detect joins (N, na*H*W, no) predictions of the three
// levels along dim 1. Inside one image the channels are contiguous blocks of prod(rest) elements,
// so both ops are N block copies per input (memcpy), for any dtype.
//
//   concat_channels({x_0 .. x_k}):  x_i (N, C_i, *rest) -> y (N, sum C_i, *rest),
//       y[:, o_i : o_i + C_i] = x_i,  o_i = C_0 + .. + C_{i-1};   dx_i = narrow_channels(dy, o_i, C_i)
//   narrow_channels(x, start, length):  x (N, C, *rest) -> y (N, length, *rest),
//       y = x[:, start : start + length];   dx = zeros with dx[:, start : start + length] = dy
//
// N and *rest must agree across concat's inputs. CUDA tensors: one cudaMemcpy2DAsync per input (cuda_kernels/concat.h).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor concat_channels(const std::vector<Tensor>& xs);
Tensor narrow_channels(const Tensor& x, int64_t start, int64_t length);

}  // namespace yp
