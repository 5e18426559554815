// reduce.h (CUDA): sums of float32 arrays in double, in the order of tensor/ops/reduce.h's ordered_sum:
// chunks of kReduceChunk elements, each summed in index order, then the chunk sums added in chunk order.
// So sum_f32 gives the CPU's bits (no multiply-add is involved), and the same bits on every run.
//   chunk_sums_f32:  partials[c] = sum_{i in chunk c} t(x_i),  t(x) = x, or x^2 with `squares`
//   sum_f32:         *out = (float)(sum_i x_i / divisor)       (sum: divisor 1; mean: divisor n)
//   fill_scaled_f32: out[i] = (float)(*scalar * factor)         (their backward: the gradient broadcast)
// All pointers are device memory; scalar and out of fill_scaled_f32 are read and written on the device,
// so a backward needs no host round trip.
#pragma once

#include <cstdint>

namespace yp::cuda {

constexpr int64_t kReduceChunk = 4096;  // = kOrderedSumChunk (tensor/ops/reduce.h)
inline int64_t reduce_chunk_count(int64_t n) { return (n + kReduceChunk - 1) / kReduceChunk; }

void chunk_sums_f32(const float* x, int64_t n, bool squares, double* partials);  // reduce_chunk_count(n) values
void sum_f32(const float* x, int64_t n, double divisor, float* out);
void fill_scaled_f32(const float* scalar, double factor, float* out, int64_t n);

}  // namespace yp::cuda
