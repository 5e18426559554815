// detect_decode.h: the inference half of YOLOv5's Detect (models/yolo.py Detect.forward, not training), an op like
// every other: a readable CPU loop, and the CUDA kernel cuda_kernels/detect_decode.h reached through dispatch.h.
//
//   raw_l (N, na*no, ny, nx)  ->  rows (N, sum_l na*ny*nx, no), rows ordered by level, anchor, row j, column i
//   s = sigmoid(raw);   for the anchor a of level l and the cell (i, j) (column, row):
//     x = (2 s_0 - 0.5 + i) * stride_l            y = (2 s_1 - 0.5 + j) * stride_l
//     w = (2 s_2)^2 * anchor_w[l][a] * stride_l   h = (2 s_3)^2 * anchor_h[l][a] * stride_l
//     obj, cls_0 .. = s_4, s_5 ..
// so boxes are centre (x, y) and size in input pixels; the anchors come in grid units (Detect's buffer).
// Notation and worked example: docs/decode.md.
// Why 2s - 0.5: the centre may sit in [-0.5, 1.5] of its cell, so the neighbouring cells that the
// loss also assigns (yolo/loss.h) can reach it; (2s)^2 bounds w/h to 4x the anchor, matching
// anchor_t = 4 in the assignment. Not differentiable (the loss works on the raw logits).
// float32 only. Called by yolo::Model::forward in eval mode (yolo/model.h).
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor detect_decode(const std::vector<Tensor>& raw, const Tensor& anchors_grid, const std::vector<float>& strides);

}  // namespace yp
