// device_fill.cu: see device_fill.h.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/stream.h"
#include "tests/cuda/device_fill.h"

namespace yp::test {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace device_fill_detail {

__global__ void fill_hash_kernel(float* data, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    data[i] = hash_float((uint64_t)i, seed);
}

}  // namespace device_fill_detail
using namespace device_fill_detail;

void fill_hash(float* data, int64_t n, uint32_t seed) {
  if (n <= 0) return;
  constexpr int kThreads = 256;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  fill_hash_kernel<<<(int)(blocks < (1 << 20) ? blocks : (1 << 20)), kThreads, 0, cuda::current_stream()>>>(data, n,
                                                                                                            seed);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace yp::test
