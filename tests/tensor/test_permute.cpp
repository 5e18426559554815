// permute: forward against a naive multi-index loop for 2-D..5-D permutations (Detect's
// {0, 1, 3, 4, 2} included), finite-difference gradients, and clear errors for bad dims.
#include <gtest/gtest.h>

#include "tensor/ops/permute.h"
#include "tests/support/gradcheck.h"

using namespace yp;
using namespace yp::test;

namespace {

// y[i] = x[j] with j[dims[k]] = i[k], enumerating i in row-major order of the output shape.
std::vector<double> naive_permute(const Tensor& x, const std::vector<int>& dims) {
  const size_t D = dims.size();
  Shape y_shape(D);
  for (size_t k = 0; k < D; ++k) y_shape[k] = x.shape()[(size_t)dims[k]];
  std::vector<double> out;
  for (int64_t flat = 0; flat < shape_numel(y_shape); ++flat) {
    std::vector<int64_t> i(D), j(D);
    int64_t rest = flat;
    for (size_t k = D; k-- > 0;) {
      i[k] = rest % y_shape[k];
      rest /= y_shape[k];
    }
    for (size_t k = 0; k < D; ++k) j[(size_t)dims[k]] = i[k];
    int64_t at = 0;
    for (size_t d = 0; d < D; ++d) at = at * x.shape()[d] + j[d];
    out.push_back(x.at(at));
  }
  return out;
}

const std::vector<std::pair<Shape, std::vector<int>>> kCases = {
    {{3, 5}, {1, 0}},
    {{2, 3, 4}, {2, 0, 1}},
    {{2, 3, 4}, {0, 1, 2}},
    {{1, 3, 6, 2, 5}, {0, 1, 3, 4, 2}},  // Detect: (N, na, no, H, W) -> (N, na, H, W, no)
    {{2, 1, 3, 1}, {3, 2, 1, 0}},        // size-1 dimensions
    {{1, 2, 1, 1, 7}, {4, 0, 3, 1, 2}},  // 1x1 spatial
    {{2, 3, 4}, {-1, 0, -2}},            // negative entries count from the end
};

}  // namespace

TEST(Permute, ForwardMatchesNaiveLoopInFloat32) {
  Rng rng(1);
  for (const auto& [shape, dims] : kCases) {
    const Tensor x = randn(shape, rng);
    const Tensor y = permute(x, dims);
    std::vector<int> resolved = dims;
    for (int& d : resolved) d = d < 0 ? d + (int)shape.size() : d;
    Shape want;
    for (int d : resolved) want.push_back(shape[(size_t)d]);
    ASSERT_EQ(y.shape(), want) << shape_str(shape);
    EXPECT_TRUE(all_close(to_doubles(y), naive_permute(x, resolved), 0, 0)) << shape_str(shape);
  }
}

TEST(Permute, LargeTensorUsesTheThreadedPathCorrectly) {
  Rng rng(2);
  const Tensor x = randn({2, 3, 85, 20, 20}, rng);  // 204k elements: above the parallel threshold
  EXPECT_TRUE(all_close(to_doubles(permute(x, {0, 1, 3, 4, 2})), naive_permute(x, {0, 1, 3, 4, 2}), 0, 0));
}

TEST(Permute, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  for (const auto& [shape, dims] : kCases) {
    Tensor x = rand_param(shape, rng);
    EXPECT_TRUE(gradcheck([d = dims](const std::vector<Tensor>& v) { return permute(v[0], d); }, {x}))
        << shape_str(shape);
  }
}

TEST(Permute, BadDimsAreClearErrors) {
  const Tensor x = Tensor::zeros({2, 3, 4});
  const auto expect_error = [&](const std::vector<int>& dims, const std::string& part) {
    try {
      permute(x, dims);
      ADD_FAILURE() << "expected an error containing: " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error({0, 1}, "permute: dims {0, 1} for a tensor of shape (2, 3, 4): need one entry per dimension (3)");
  expect_error({0, 1, 1}, "dimension 1 appears twice");
  expect_error({0, 1, -2}, "dimension 1 appears twice");
  expect_error({0, 1, 3}, "3 is out of range");
  expect_error({0, 1, -4}, "-4 is out of range");
}
