// reduce.h: sum and mean of all elements, returned as shape () tensors (Shape{} has numel 1).
//   sum(x) = sum_i x_i,          d sum / dx_i = 1        (backward broadcasts g to x's shape)
//   mean(x) = sum(x) / numel,    d mean / dx_i = 1/numel
// The sum of an empty tensor is 0; its mean is an error (PyTorch's NaN would silently poison a loss).
// float32 and float64 (accumulated in double either way); CUDA tensors are float32 and are summed in the
// CPU's order (cuda_kernels/reduce.h), so sum and mean give the same bits on both devices.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace yp {

Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

// sum over every element of every tensor of x^2, in double, outside autograd (gradient clipping's norm;
// undefined tensors are skipped). float32 on either device: CPU tensors are added one element after the
// other in order; CUDA tensors in 4096-element chunks (one launch per tensor, one download for all), whose
// rounding differs from the CPU's in the last bits.
double sum_of_squares(const std::vector<Tensor>& xs);

// sum_{i<n} term(i) in double, in fixed chunks of kOrderedSumChunk terms whose partial sums are
// added in chunk order. The rounding therefore does not depend on the number of threads: the same
// inputs give the same bits on 2 cores and on 16 (an OpenMP reduction would not). Shared by the
// reductions and the losses (bce_with_logits).
constexpr int64_t kOrderedSumChunk = 4096;
template <typename Term>
double ordered_sum(int64_t n, Term term) {
  const int64_t chunks = (n + kOrderedSumChunk - 1) / kOrderedSumChunk;
  std::vector<double> partial((size_t)chunks);
#pragma omp parallel for if (n > 16 * kOrderedSumChunk) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kOrderedSumChunk);
    double s = 0;
    for (int64_t i = c * kOrderedSumChunk; i < end; ++i) s += term(i);
    partial[(size_t)c] = s;
  }
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace yp
