// maxpool2d.h (CUDA): max pooling as tensor/ops/maxpool2d.h, x (N, C, H, W) -> y (N, C, P, Q).
//   y[n,c,p,q] = max over the kernel x kernel window at (p*stride - pad, q*stride - pad), padding = -inf
// The argmax rule matches the CPU: first maximum in row-major window order, a NaN wins (the last NaN).
// Backward recomputes each window's argmax into a temporary index buffer (the forward keeps none);
// then every input element gathers dy from the windows that chose it. Overlapping windows (SPPF's
// 5x5 stride 1) send several gradients to one input; the gather adds them in the CPU loop's order
// (row-major over the windows), with no atomics, so dx has the CPU's bits on every run.
#pragma once

#include <cstdint>

namespace yp::cuda {

struct PoolShape {
  int n = 0, c = 0, h = 0, w = 0;
  int kernel = 1, stride = 1, pad = 0;
  int p = 0, q = 0;  // (h + 2 pad - kernel) / stride + 1, likewise q

  static PoolShape make(int n, int c, int h, int w, int kernel, int stride, int pad) {
    PoolShape s;
    s.n = n, s.c = c, s.h = h, s.w = w, s.kernel = kernel, s.stride = stride, s.pad = pad;
    s.p = (h + 2 * pad - kernel) / stride + 1;
    s.q = (w + 2 * pad - kernel) / stride + 1;
    return s;
  }
};

void maxpool2d_forward(const float* x, float* y, const PoolShape& s);
void maxpool2d_backward(const float* x, const float* dy, float* dx, const PoolShape& s);

}  // namespace yp::cuda
