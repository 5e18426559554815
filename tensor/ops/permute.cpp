// permute.cpp: see permute.h.
//
// The output is written in order, one row (its last dimension) at a time. For output dimension i
// the input stride is stride_x[dims[i]], so a row starts at sum_i idx_i * stride_x[dims[i]] (one
// division per dimension per row, not per element) and then walks the input with the stride of
// dims[D-1]. Rows are independent, so threads split them. Elements are moved as unsigned integers
// of their size: permute is pure data movement and works for every dtype. The CUDA path is
// cuda_kernels/permute.cu (one thread per output element).
#include "tensor/ops/permute.h"

#include <cstdint>
#include <string>

#include "tensor/autograd.h"
#include "tensor/ops/dispatch.h"

namespace yp {

namespace {

constexpr int64_t kParallelMinElements = int64_t(1) << 15;

template <typename E>
void permute_copy(const E* x, const Shape& x_shape, const std::vector<int>& dims, E* y) {
  const int64_t D = (int64_t)dims.size();
  const int64_t n = shape_numel(x_shape);
  if (n == 0) return;
  if (D == 0) {
    y[0] = x[0];
    return;
  }
  std::vector<int64_t> x_stride((size_t)D, 1);
  for (int64_t d = D - 2; d >= 0; --d) x_stride[(size_t)d] = x_stride[(size_t)d + 1] * x_shape[(size_t)d + 1];
  std::vector<int64_t> y_shape((size_t)D), step((size_t)D);  // step[i]: input stride of output dim i
  for (int64_t i = 0; i < D; ++i) {
    y_shape[(size_t)i] = x_shape[(size_t)dims[(size_t)i]];
    step[(size_t)i] = x_stride[(size_t)dims[(size_t)i]];
  }
  const int64_t row = y_shape[(size_t)D - 1], row_step = step[(size_t)D - 1], rows = n / row;
#pragma omp parallel for if (n > kParallelMinElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rest = r, start = 0;
    for (int64_t i = D - 2; i >= 0; --i) {
      start += (rest % y_shape[(size_t)i]) * step[(size_t)i];
      rest /= y_shape[(size_t)i];
    }
    E* yr = y + r * row;
    for (int64_t j = 0; j < row; ++j) yr[j] = x[start + j * row_step];
  }
}

std::string dims_str(const std::vector<int>& dims) {
  std::string s = "{";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "}";
}

// dims with negative entries resolved; throws unless it is a permutation of 0..D-1.
std::vector<int> checked_permutation(const Tensor& x, const std::vector<int>& dims) {
  const int D = (int)x.dim();
  const std::string what = "permute: dims " + dims_str(dims) + " for a tensor of shape " + shape_str(x.shape());
  YP_CHECK((int)dims.size() == D, what + ": need one entry per dimension (" + std::to_string(D) + ")");
  std::vector<int> resolved(dims.size());
  std::vector<bool> seen((size_t)D, false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int d = dims[i] < 0 ? dims[i] + D : dims[i];
    YP_CHECK(d >= 0 && d < D, what + ": " + std::to_string(dims[i]) + " is out of range");
    YP_CHECK(!seen[(size_t)d], what + ": dimension " + std::to_string(d) + " appears twice");
    seen[(size_t)d] = true;
    resolved[i] = d;
  }
  return resolved;
}

// The CUDA kernel takes the output's shape and, per output dimension, the input stride it walks.
void permute_cuda(const Tensor& x, const std::vector<int>& perm, Tensor& y) {
  if (perm.empty()) {  // a scalar
    y.copy_from(x);
    return;
  }
  YP_CHECK(perm.size() <= 8, "permute: the CUDA path takes at most 8 dimensions, got " + std::to_string(perm.size()));
  YP_CUDA_DISPATCH({
    cuda::PermuteShape s;
    s.dims = (int)perm.size();
    std::vector<int64_t> x_stride(perm.size(), 1);
    for (int64_t d = (int64_t)perm.size() - 2; d >= 0; --d) x_stride[(size_t)d] = x_stride[(size_t)d + 1] * x.size(d + 1);
    for (size_t i = 0; i < perm.size(); ++i) {
      s.out_size[i] = y.size((int64_t)i);
      s.in_stride[i] = x_stride[(size_t)perm[i]];
    }
    cuda::permute_copy(x.raw_data(), y.raw_data(), y.numel(), (int)dtype_size(x.dtype()), s);
  });
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
  YP_CHECK(x.defined(), "permute: the input is undefined");
  const std::vector<int> perm = checked_permutation(x, dims);
  Shape y_shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) y_shape[i] = x.size(perm[i]);
  Tensor y = Tensor::empty(y_shape, x.dtype(), x.device());
  const void* src = x.raw_data();
  void* dst = y.raw_data();
  if (x.is_cuda()) {
    permute_cuda(x, perm, y);
  } else {
    switch (dtype_size(x.dtype())) {
      case 2: permute_copy(static_cast<const uint16_t*>(src), x.shape(), perm, static_cast<uint16_t*>(dst)); break;
      case 4: permute_copy(static_cast<const uint32_t*>(src), x.shape(), perm, static_cast<uint32_t*>(dst)); break;
      case 8: permute_copy(static_cast<const uint64_t*>(src), x.shape(), perm, static_cast<uint64_t*>(dst)); break;
      default: YP_CHECK(false, std::string("permute: unsupported dtype ") + dtype_name(x.dtype()));
    }
  }
  std::vector<int> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[(size_t)perm[i]] = (int)i;
  return record("permute", y, {x}, [inverse](const Tensor& dy) { return std::vector<Tensor>{permute(dy, inverse)}; });
}

}  // namespace yp
