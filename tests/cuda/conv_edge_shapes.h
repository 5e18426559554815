// conv_edge_shapes.h: convolution shapes chosen for the ragged edges of the CUDA kernels' tiles
// (cuda_kernels/conv2d_*.cu: 64x64 block tiles with k slices of 8 or 16, 16x16 WMMA fragments, 16x16
// backward tiles, split-K over the batch-folded N*P*Q reduction). The YOLOv5 layer kinds are in
// conv_reference.h; these are the cases a GPU would break on first.
#pragma once

#include <vector>

#include "cuda_kernels/conv2d.h"

namespace yp::test {

inline std::vector<cuda::Conv2dShape> conv_edge_shapes() {
  using cuda::Conv2dShape;
  return {
      // C*R*S = 1 (less than any k slice); batch 3 with P*Q = 63, so one 64-column tile holds
      // pixels of two images and the (n, p, q) decode of every column differs.
      Conv2dShape::make(3, 1, 7, 9, 5, 1, 1, 1, 0),
      // K = 70: a second 64-row tile holding 6 rows; stride 2 on odd sizes.
      Conv2dShape::make(3, 7, 11, 5, 70, 3, 3, 2, 1),
      // An image smaller than the window: every output reads padding; K = 17 is one past a fragment.
      Conv2dShape::make(2, 3, 2, 3, 17, 3, 3, 1, 1),
      // The stem's 6x6/2/2 on an even size, where the last window ends exactly at the edge.
      Conv2dShape::make(1, 9, 8, 8, 16, 6, 6, 2, 2),
      // C*R*S = 130 (no multiple of 8, 16 or 32) and K = 8, less than one fragment.
      Conv2dShape::make(2, 130, 5, 6, 8, 1, 1, 1, 0),
      // No padding, Q = 63.
      Conv2dShape::make(1, 4, 33, 65, 3, 3, 3, 1, 0),
      // 5x5 with padding 2 (SPPF's window as a conv), batch 5.
      Conv2dShape::make(5, 2, 9, 9, 4, 5, 5, 1, 2),
  };
}

// Shapes whose weight gradient is split over many blocks of the N*P*Q reduction (few output tiles,
// a long reduction): one where the splits divide it exactly, one with a short last split.
inline std::vector<cuda::Conv2dShape> conv_split_k_shapes() {
  using cuda::Conv2dShape;
  return {
      Conv2dShape::make(8, 3, 40, 40, 4, 3, 3, 1, 1),  // 12800 = 50 splits of 256
      Conv2dShape::make(7, 3, 37, 41, 5, 3, 3, 1, 1),  // 10619 = 41 splits of 256 and one of 123
  };
}

}  // namespace yp::test
