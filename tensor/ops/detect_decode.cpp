// detect_decode.cpp: Detect's inference decode (detect_decode.h).
#include "tensor/ops/detect_decode.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/cpu/activation.h"
#include "tensor/ops/dispatch.h"

namespace yp {

Tensor detect_decode(const std::vector<Tensor>& raw, const Tensor& anchors_grid, const std::vector<float>& strides) {
  const int64_t nl = (int64_t)raw.size();
  YP_CHECK(nl >= 1 && anchors_grid.dim() == 3 && anchors_grid.size(0) == nl && anchors_grid.size(2) == 2 &&
               (int64_t)strides.size() == nl,
           "detect_decode: " + std::to_string(nl) + " levels, anchors " + shape_str(anchors_grid.shape()) +
               " and " + std::to_string(strides.size()) + " strides do not agree");
  const int64_t na = anchors_grid.size(1);
  const std::vector<float> anchors = anchors_grid.to_vector();
  const int64_t N = raw[0].size(0), C = raw[0].size(1);
  YP_CHECK(C % na == 0 && C / na > 5, "detect_decode: " + std::to_string(C) + " channels are not na * (5 + nc)");
  const int64_t no = C / na;
  int64_t rows = 0;
  for (const Tensor& r : raw) {
    YP_CHECK(r.dim() == 4 && r.size(0) == N && r.size(1) == C && r.dtype() == DType::F32 &&
                 r.device() == raw[0].device(),
             "detect_decode: level shape " + shape_str(r.shape()) + " is not (N, na*no, ny, nx) float32 like " +
                 shape_str(raw[0].shape()));
    rows += na * r.size(2) * r.size(3);
  }
  Tensor out = Tensor::empty({N, rows, no}, DType::F32, raw[0].device());
  int64_t offset = 0;
  for (int64_t l = 0; l < nl; ++l) {
    const Tensor& r = raw[(size_t)l];
    const int64_t ny = r.size(2), nx = r.size(3), cells = ny * nx;
    const float stride = strides[(size_t)l];
    if (r.is_cuda()) {
      YP_CUDA_DISPATCH({
        cuda::DetectLevel level;
        YP_CHECK(na <= cuda::DetectLevel::kMaxAnchors, "detect_decode: too many anchors for the CUDA kernel");
        level.na = (int)na;
        level.no = (int)no;
        level.ny = (int)ny;
        level.nx = (int)nx;
        level.stride = stride;
        for (int64_t a = 0; a < na; ++a) {
          level.anchor_w[a] = anchors[(size_t)((l * na + a) * 2)] * stride;
          level.anchor_h[a] = anchors[(size_t)((l * na + a) * 2 + 1)] * stride;
        }
        cuda::detect_decode(r.data<float>(), out.data<float>(), (int)N, level, rows, offset);
      });
      offset += na * cells;
      continue;
    }
    const float* in = r.data<float>();
    float* o = out.data<float>();
    // The input holds one plane per output (channel-major), the output one row per cell. Per block of
    // kBlock cells: every plane's sigmoid into an [no][kBlock] buffer small enough for L1 (the SIMD kernel of
    // tensor/cpu/activation.h, the same bits wherever the block starts), then the rows written one after the
    // other, reading the buffer with a stride. Writing the rows plane by plane instead (a store every no floats)
    // made the decode twice as slow.
    constexpr int64_t kBlock = 64;
    const int64_t blocks = (cells + kBlock - 1) / kBlock;
#pragma omp parallel if (N * na * cells * no > 100000)
    {
      std::vector<float> sig_storage(static_cast<size_t>(no * kBlock));
      float* sig = sig_storage.data();
#pragma omp for collapse(3) schedule(static)
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t a = 0; a < na; ++a) {
          for (int64_t b = 0; b < blocks; ++b) {
            const float aw = anchors[(size_t)((l * na + a) * 2)] * stride;
            const float ah = anchors[(size_t)((l * na + a) * 2 + 1)] * stride;
            const int64_t first = b * kBlock, len = std::min(kBlock, cells - first);
            const float* src = in + (n * C + a * no) * cells + first;  // channel a*no + k at src[k * cells + i]
            float* dst = o + (n * rows + offset + a * cells + first) * no;
            for (int64_t k = 0; k < no; ++k) sigmoid_f32(src + k * cells, sig + k * kBlock, len);
            for (int64_t i = 0; i < len; ++i) {
              float* row = dst + i * no;
              const float* column = sig + i;
              for (int64_t k = 0; k < no; ++k) row[k] = column[k * kBlock];
              const int64_t cell = first + i;
              const float x = (float)(cell % nx), y = (float)(cell / nx);
              row[0] = (row[0] * 2.0f - 0.5f + x) * stride;
              row[1] = (row[1] * 2.0f - 0.5f + y) * stride;
              row[2] = (row[2] * 2.0f) * (row[2] * 2.0f) * aw;
              row[3] = (row[3] * 2.0f) * (row[3] * 2.0f) * ah;
            }
          }
        }
      }
    }
    offset += na * cells;
  }
  return out;
}

}  // namespace yp
