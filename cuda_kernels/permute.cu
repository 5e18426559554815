// permute.cu: see permute.h. One thread per output element, grid-stride: the writes are coalesced and
// the reads strided (for the loss layout (N, na, no, H, W) -> (N, na, H, W, no), a warp's 32 outputs read
// no planes at ~32/no consecutive cells each, a handful of cache lines). The output index is decoded
// into coordinates with one division per dimension; 32-bit arithmetic when every index fits (integer
// division in 64 bits costs several times more), 64-bit past 2^31 elements.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/permute.h"
#include "cuda_kernels/stream.h"

#include <stdexcept>
#include <string>

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace permute_detail {

constexpr int kThreads = 256;

template <typename E, typename I>
__global__ void permute_kernel(const E* __restrict__ x, E* __restrict__ y, I n, PermuteShape s) {
  for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
    I rest = i, src = 0;
    for (int d = s.dims - 1; d >= 0; --d) {
      const I size = (I)s.out_size[d];
      src += (rest % size) * (I)s.in_stride[d];
      rest /= size;
    }
    y[i] = x[src];
  }
}

int grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return (int)(blocks < (1 << 20) ? blocks : (1 << 20));
}

template <typename E>
void launch(const void* x, void* y, int64_t n, const PermuteShape& s) {
  const E* src = static_cast<const E*>(x);
  E* dst = static_cast<E*>(y);
  // The largest value the 32-bit loop forms is i + gridDim*blockDim (< n + 2^28) and the source offset (< n).
  if (n < (int64_t(1) << 31) - (int64_t(1) << 29))
    permute_kernel<E, uint32_t><<<grid_for(n), kThreads, 0, current_stream()>>>(src, dst, (uint32_t)n, s);
  else
    permute_kernel<E, int64_t><<<grid_for(n), kThreads, 0, current_stream()>>>(src, dst, n, s);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace permute_detail
using namespace permute_detail;

void permute_copy(const void* x, void* y, int64_t n, int element_bytes, const PermuteShape& shape) {
  if (n <= 0) return;
  if (shape.dims < 1 || shape.dims > PermuteShape::kMaxDims)
    throw std::runtime_error("permute_copy: " + std::to_string(shape.dims) + " dimensions (1 to 8 supported)");
  switch (element_bytes) {
    case 2: launch<uint16_t>(x, y, n, shape); break;
    case 4: launch<uint32_t>(x, y, n, shape); break;
    case 8: launch<uint64_t>(x, y, n, shape); break;
    default: throw std::runtime_error("permute_copy: elements of " + std::to_string(element_bytes) + " bytes");
  }
}

}  // namespace yp::cuda
