// detect_decode.cu: see detect_decode.h.
#include <stdexcept>
#include <string>

#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/detect_decode.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace detect_decode_detail {

constexpr int kThreads = 256;

__global__ void detect_decode_kernel(const float* __restrict__ raw, float* __restrict__ out, int batch,
                                     DetectLevel lv, int64_t rows_total, int64_t row_offset) {
  const int64_t cells = (int64_t)lv.ny * lv.nx;
  const int64_t total = (int64_t)batch * lv.na * cells * lv.no;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int o = (int)(i % lv.no);
    const int64_t row = i / lv.no;  // (b, a, y, x) flattened
    const int64_t cell = row % cells;
    const int a = (int)((row / cells) % lv.na);
    const int64_t b = row / (cells * lv.na);
    const float v = raw[((b * lv.na + a) * lv.no + o) * cells + cell];
    const float sig = 1.f / (1.f + expf(-v));
    float result = sig;
    if (o == 0) result = (2.f * sig - 0.5f + (float)(cell % lv.nx)) * lv.stride;
    else if (o == 1) result = (2.f * sig - 0.5f + (float)(cell / lv.nx)) * lv.stride;
    else if (o == 2) result = 4.f * sig * sig * lv.anchor_w[a];
    else if (o == 3) result = 4.f * sig * sig * lv.anchor_h[a];
    out[(b * rows_total + row_offset + (int64_t)a * cells + cell) * lv.no + o] = result;
  }
}

}  // namespace detect_decode_detail
using namespace detect_decode_detail;

void detect_decode(const float* raw, float* out, int batch, const DetectLevel& level, int64_t rows_total,
                   int64_t row_offset) {
  if (level.na > DetectLevel::kMaxAnchors || level.na < 0)
    throw std::invalid_argument("detect_decode: " + std::to_string(level.na) + " anchors per level (at most " +
                                std::to_string(DetectLevel::kMaxAnchors) + ")");
  const int64_t total = (int64_t)batch * level.na * level.ny * level.nx * level.no;
  if (total == 0) return;
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  detect_decode_kernel<<<(int)(blocks < (1 << 20) ? blocks : (1 << 20)), kThreads, 0, current_stream()>>>(
      raw, out, batch, level, rows_total, row_offset);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
