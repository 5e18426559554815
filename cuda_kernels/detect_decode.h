// detect_decode.h (CUDA): YOLOv5 v7.0 Detect inference decode of one level (docs/inference.md).
//   raw (B, na*no, ny, nx): the level's 1x1 conv output, channel a*no + o
//   out (B, rows_total, no): all levels concatenated; this level fills rows
//        row_offset + (a*ny + y)*nx + x, each row [cx, cy, w, h, obj, cls...] in input pixels
//   sig = sigmoid(raw);  cx = (2 sig_0 - 0.5 + x) * stride,  cy = (2 sig_1 - 0.5 + y) * stride
//   w = (2 sig_2)^2 * anchor_w,  h = (2 sig_3)^2 * anchor_h   (anchors in pixels),  the rest = sig
// One thread per output value; o is fastest, so the writes are coalesced.
#pragma once

#include <cstdint>

namespace yp::cuda {

struct DetectLevel {
  static constexpr int kMaxAnchors = 8;
  int na = 3, no = 85, ny = 0, nx = 0;
  float stride = 8.f;
  float anchor_w[kMaxAnchors] = {};  // pixels
  float anchor_h[kMaxAnchors] = {};
};

// Throws std::invalid_argument when level.na > kMaxAnchors.
void detect_decode(const float* raw, float* out, int batch, const DetectLevel& level, int64_t rows_total,
                   int64_t row_offset);

}  // namespace yp::cuda
