// test_detect_decode.cpp: Detect's inference decode (tensor/ops/detect_decode.h) against its formula written out
// in double with std::exp. (tests/cuda checks the CUDA kernel against the same formula.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "tensor/ops/detect_decode.h"
#include "tensor/ops/elementwise.h"
#include "tests/support/gradcheck.h"

namespace yp {
namespace {

// detect_decode against its formula written out with std::exp, on logits spanning the saturated range.
TEST(DetectDecode, MatchesTheFormula) {
  Rng rng(9);
  const std::vector<float> strides = {8, 16};
  const Tensor anchors = Tensor::from_vector(std::vector<float>{1.25f, 1.625f, 2, 3.75f, 1.875f, 3.8125f, 3.875f, 2.8125f},
                                             {2, 2, 2});
  const int no = 7;
  std::vector<Tensor> raw = {scale(randn({2, 2 * no, 3, 5}, rng), 8), scale(randn({2, 2 * no, 2, 3}, rng), 8)};
  const Tensor out = detect_decode(raw, anchors, strides);
  ASSERT_EQ(out.shape(), (Shape{2, 2 * 15 + 2 * 6, no}));
  std::vector<double> ref;
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 2; ++l) {
      const int ny = (int)raw[l].size(2), nx = (int)raw[l].size(3);
      for (int a = 0; a < 2; ++a)
        for (int y = 0; y < ny; ++y)
          for (int x = 0; x < nx; ++x)
            for (int k = 0; k < no; ++k) {
              const double v = raw[l].at((((int64_t)n * 2 * no + a * no + k) * ny + y) * nx + x);
              const double s = 1 / (1 + std::exp(-v)), st = strides[(size_t)l];
              const double aw = anchors.at((l * 2 + a) * 2) * st, ah = anchors.at((l * 2 + a) * 2 + 1) * st;
              ref.push_back(k == 0 ? (2 * s - 0.5 + x) * st
                            : k == 1 ? (2 * s - 0.5 + y) * st
                            : k == 2 ? 4 * s * s * aw
                            : k == 3 ? 4 * s * s * ah
                                     : s);
            }
    }
  EXPECT_TRUE(test::all_close(test::to_doubles(out), ref, 1e-5, 1e-5));
}

// The worked example of docs/decode.md: one level of stride 8, one anchor of 1.25 x 1.625 cells (10 x 13 px), a 3 x 2
// grid, logits chosen so that sig = 0.8, 0.3, 0.5, 0.9 (box), 0.5 (obj), 0.8808 (class) in the cell (i, j) = (2, 1).
TEST(DetectDecode, OneCellByHand) {
  const int no = 6, nx = 3, ny = 2, i = 2, j = 1;
  std::vector<float> raw_values((size_t)(no * ny * nx), 0.0f);
  const float logits[no] = {std::log(4.0f), std::log(3.0f / 7.0f), 0.0f, std::log(9.0f), 0.0f, 2.0f};
  for (int k = 0; k < no; ++k) raw_values[(size_t)((k * ny + j) * nx + i)] = logits[k];  // channel k, row j, column i
  const Tensor anchors = Tensor::from_vector(std::vector<float>{1.25f, 1.625f}, {1, 1, 2});
  const Tensor out = detect_decode({Tensor::from_vector(raw_values, {1, no, ny, nx})}, anchors, {8.0f});
  const int64_t row = j * nx + i;  // rows: level, anchor, then y, x row-major
  std::printf("row %lld:", (long long)row);
  for (int k = 0; k < no; ++k) std::printf(" %.4f", out.at(row * no + k));
  std::printf("\n");
  // x = (2 * 0.8 - 0.5 + 2) * 8, y = (2 * 0.3 - 0.5 + 1) * 8, w = (2 * 0.5)^2 * 10, h = (2 * 0.9)^2 * 13
  const double expected[no] = {24.8, 8.8, 10.0, 42.12, 0.5, 1 / (1 + std::exp(-2.0))};
  for (int k = 0; k < no; ++k) EXPECT_NEAR(out.at(row * no + k), expected[k], 1e-4) << "output " << k;
}

}  // namespace
}  // namespace yp
