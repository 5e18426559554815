// conv2d_direct.cu: variant 1, the convolution formula of conv2d.h as written, one thread per
// output element. Each thread reads C*R*S weights and inputs straight from global memory, so the
// kernel moves ~8 bytes per multiply-add and is bound by L1/L2 bandwidth. It is the yardstick every
// other variant is compared with. x (N, C, H, W), w (K, C, R, S), y (N, K, P, Q).
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace conv2d_direct_detail {

constexpr int kThreads = 256;

__global__ void conv2d_direct_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                     const float* __restrict__ b, float* __restrict__ y, Conv2dShape s) {
  const int64_t total = (int64_t)s.n * s.k * s.p * s.q;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    const int q = (int)(i % s.q);
    const int p = (int)((i / s.q) % s.p);
    const int k = (int)((i / ((int64_t)s.q * s.p)) % s.k);
    const int n = (int)(i / ((int64_t)s.q * s.p * s.k));
    float acc = b ? b[k] : 0.f;
    for (int c = 0; c < s.c; ++c) {
      const float* x_plane = x + ((int64_t)n * s.c + c) * s.h * s.w;
      const float* w_plane = w + ((int64_t)k * s.c + c) * s.r * s.s;
      for (int r = 0; r < s.r; ++r) {
        const int ih = p * s.stride - s.pad + r;
        if (ih < 0 || ih >= s.h) continue;
        for (int t = 0; t < s.s; ++t) {
          const int iw = q * s.stride - s.pad + t;
          if (iw < 0 || iw >= s.w) continue;
          acc += w_plane[r * s.s + t] * x_plane[(int64_t)ih * s.w + iw];
        }
      }
    }
    y[i] = acc;
  }
}

}  // namespace conv2d_direct_detail
using namespace conv2d_direct_detail;

void conv2d_forward_kernel1(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s) {
  const int64_t total = s.y_numel();
  if (total == 0) return;
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  const int grid = (int)(blocks < (1 << 20) ? blocks : (1 << 20));  // grid-stride loop covers the rest
  conv2d_direct_kernel<<<grid, kThreads, 0, current_stream()>>>(x, w, b, y, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::cuda
