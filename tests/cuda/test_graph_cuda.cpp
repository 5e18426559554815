// test_graph_cuda.cpp: streams and CUDA Graph capture. A small "forward" (im2col conv, fused
// conv+SiLU, max-pool) is captured once and replayed on new input; the replay must match the
// reference for the new input, even after other allocations have been made in between (the
// graph's freed blocks must stay private to it).
#include <cmath>

#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/stream.h"
#include "tests/cuda/conv_reference.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

using cuda::Conv2dShape;

TEST(CudaGraph, CapturedForwardReplaysOnNewInput) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s1 = Conv2dShape::make(1, 3, 20, 20, 8, 3, 3, 1, 1);
  const Conv2dShape s2 = Conv2dShape::make(1, 8, 20, 20, 8, 3, 3, 2, 1);
  const auto w1 = random_floats((size_t)s1.w_numel(), 1), w2 = random_floats((size_t)s2.w_numel(), 2),
             b2 = random_floats((size_t)s2.k, 3);
  cuda::PoolShape ps;
  ps.n = 1, ps.c = s2.k, ps.h = s2.p, ps.w = s2.q, ps.kernel = 5, ps.stride = 1, ps.pad = 2, ps.p = s2.p, ps.q = s2.q;

  auto reference = [&](const std::vector<float>& x) {
    const std::vector<double> y1 = conv2d_reference(x, w1, nullptr, s1);
    std::vector<double> y2 = conv2d_reference(std::vector<float>(y1.begin(), y1.end()), w2, &b2, s2);
    for (double& v : y2) v = v / (1 + std::exp(-v));
    std::vector<double> y3(y2.size());
    for (int c = 0; c < ps.c; ++c)
      for (int p = 0; p < ps.p; ++p)
        for (int q = 0; q < ps.q; ++q) {
          double best = -INFINITY;
          for (int r = -2; r <= 2; ++r)
            for (int t = -2; t <= 2; ++t)
              if (p + r >= 0 && p + r < ps.h && q + t >= 0 && q + t < ps.w)
                best = std::max(best, y2[((size_t)c * ps.h + p + r) * ps.w + q + t]);
          y3[((size_t)c * ps.p + p) * ps.q + q] = best;
        }
    return y3;
  };

  DeviceArray<float> x((size_t)s1.x_numel()), w1_d(w1), w2_d(w2), b2_d(b2), y3((size_t)s2.y_numel());
  cuda::CudaGraph graph;
  auto forward = [&] {
    // Intermediate allocated and freed inside the forward, as the tensor layer does.
    DeviceArray<float> y1((size_t)s1.y_numel()), y2((size_t)s2.y_numel());
    cuda::conv2d_forward_kernel4(x.get(), w1_d.get(), nullptr, y1.get(), s1);  // uses a col buffer
    cuda::conv2d_bias_silu_forward(y1.get(), w2_d.get(), b2_d.get(), y2.get(), s2);
    cuda::maxpool2d_forward(y2.get(), y3.get(), ps);
  };
  const auto x0 = random_floats(x.size(), 10);
  x.upload(x0);
  forward();  // warm-up outside the capture
  EXPECT_TRUE(close_to_ref(y3.download(), reference(x0), kTolFP32)) << "eager";

  graph.begin_capture();
  forward();
  graph.end_capture();
  // Allocations after capture must not receive the graph's intermediates.
  DeviceArray<float> unrelated((size_t)s2.y_numel());
  unrelated.upload(std::vector<float>(unrelated.size(), 42.f));

  for (unsigned seed : {20u, 30u}) {
    const auto xn = random_floats(x.size(), seed);
    x.upload(xn);
    y3.poison();
    graph.replay();
    EXPECT_TRUE(close_to_ref(y3.download(), reference(xn), kTolFP32)) << "replay seed " << seed;
  }
  EXPECT_EQ(unrelated.download(), std::vector<float>(unrelated.size(), 42.f)) << "replay wrote into a reused block";
  EXPECT_EQ(cuda::current_stream(), nullptr) << "end_capture restores the previous stream";
}

}  // namespace
}  // namespace yp::test
