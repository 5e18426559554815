// device_fill.h: test inputs too large to upload (several GB), made on the device from a hash of the
// element index, and the same values on the host, so a test can check samples of a result against
// a reference computed from the index alone.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace yp::test {

// A value in [-1, 1) with 24 random bits (exact in float), the same on host and device (splitmix64).
__host__ __device__ inline float hash_float(uint64_t index, uint32_t seed) {
  uint64_t z = index * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float)(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

// data[i] = hash_float(i, seed) for i < n, on the current stream.
void fill_hash(float* data, int64_t n, uint32_t seed);

}  // namespace yp::test
