// test_graph_cuda.cpp: streams and CUDA Graph capture. A small "forward" (im2col conv, fused
// conv+SiLU, max-pool) is captured once and replayed on new input; the replay must match the
// reference for the new input, even after other allocations have been made in between (the
// graph's freed blocks must stay private to it).
#include <cmath>
#include <memory>

#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/stream.h"
#include "tests/cuda/conv_reference.h"
#include "tests/cuda/cuda_test_support.h"
#include "tests/cuda/device_fill.h"

namespace yp::test {
namespace {

using cuda::Conv2dShape;

TEST(CudaGraph, CapturedForwardReplaysOnNewInput) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s1 = Conv2dShape::make(1, 3, 20, 20, 8, 3, 3, 1, 1);
  const Conv2dShape s2 = Conv2dShape::make(1, 8, 20, 20, 8, 3, 3, 2, 1);
  const auto w1 = random_floats((size_t)s1.w_numel(), 1), w2 = random_floats((size_t)s2.w_numel(), 2),
             b2 = random_floats((size_t)s2.k, 3);
  const cuda::PoolShape ps = cuda::PoolShape::make(1, s2.k, s2.p, s2.q, 5, 1, 2);

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


// Host copy of fill_hash's values.
std::vector<float> hashed(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = hash_float(i, seed);
  return v;
}

// The graph's stream is non-blocking: a replay must still wait for the inputs that kernels on the
// caller's stream are writing (here a long producer kernel, then the input itself, neither waited for).
TEST(CudaGraph, ReplayWaitsForWorkQueuedOnTheCallersStream) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(1, 4, 16, 16, 8, 3, 3, 1, 1);
  DeviceArray<float> x((size_t)s.x_numel()), w(random_floats((size_t)s.w_numel(), 5)), y((size_t)s.y_numel());
  const int64_t busy_n = int64_t(1) << 26;  // ~30 us of writes queued ahead of the input, 6x a graph launch
  DeviceArray<float> busy((size_t)busy_n);
  cuda::conv2d_forward_kernel5(x.get(), w.get(), nullptr, y.get(), s);  // warm, outside the capture
  cuda::CudaGraph graph;
  graph.begin_capture();
  cuda::conv2d_forward_kernel5(x.get(), w.get(), nullptr, y.get(), s);
  graph.end_capture();
  for (uint32_t seed : {11u, 12u, 13u}) {
    fill_hash(busy.get(), busy_n, seed);
    fill_hash(x.get(), s.x_numel(), seed);  // asynchronous, on the legacy stream
    graph.replay();
    const std::vector<double> ref = conv2d_reference(hashed((size_t)s.x_numel(), seed), w.download(), nullptr, s);
    EXPECT_TRUE(close_to_ref(y.download(), ref, kTolFP32)) << "seed " << seed;
  }
}

// Two graphs alive at once, the first destroyed: its private blocks go back to the cache and are
// handed out again, and the second graph's replays are unaffected by whoever holds them now.
TEST(CudaGraph, DestroyingOneGraphLeavesAnotherIntact) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(1, 3, 24, 24, 6, 3, 3, 1, 1);
  DeviceArray<float> x((size_t)s.x_numel()), w(random_floats((size_t)s.w_numel(), 6)), y_a((size_t)s.y_numel()),
      y_b((size_t)s.y_numel());
  auto forward = [&](DeviceArray<float>& out) {  // an intermediate freed inside, as the tensor layer does
    DeviceArray<float> mid((size_t)s.y_numel());
    cuda::conv2d_forward_kernel4(x.get(), w.get(), nullptr, mid.get(), s);
    cuda::silu_forward_f32(mid.get(), out.get(), s.y_numel());
  };
  forward(y_a);  // warm
  auto graph_a = std::make_unique<cuda::CudaGraph>();
  graph_a->begin_capture();
  forward(y_a);
  graph_a->end_capture();
  cuda::CudaGraph graph_b;
  graph_b.begin_capture();
  forward(y_b);
  graph_b.end_capture();
  const size_t cached_before = cuda::allocator_stats().bytes_cached;
  graph_a.reset();
  if (cuda::caching_enabled()) {
    EXPECT_GT(cuda::allocator_stats().bytes_cached, cached_before) << "the destroyed graph's blocks went back";
  }
  // Take the released blocks (same sizes as the graph's intermediates) and fill them.
  std::vector<std::unique_ptr<DeviceArray<float>>> takers;
  for (int i = 0; i < 4; ++i) {
    takers.push_back(std::make_unique<DeviceArray<float>>((size_t)s.y_numel()));
    takers.back()->upload(std::vector<float>((size_t)s.y_numel(), 7.f));
  }
  for (uint32_t seed : {21u, 22u}) {
    fill_hash(x.get(), s.x_numel(), seed);
    y_b.poison();
    graph_b.replay();
    std::vector<double> ref = conv2d_reference(hashed((size_t)s.x_numel(), seed), w.download(), nullptr, s);
    for (double& v : ref) v = v / (1 + std::exp(-v));
    EXPECT_TRUE(close_to_ref(y_b.download(), ref, kTolFP32)) << "seed " << seed;
  }
  for (const auto& t : takers)
    EXPECT_EQ(t->download(), std::vector<float>((size_t)s.y_numel(), 7.f)) << "a replay wrote into a reused block";
}

// conv2d_forward cannot time an unseen shape inside a capture (timing synchronises): it records the
// fallback variant without choosing, and the replay is still correct.
TEST(CudaGraph, UnseenConvShapeDuringCaptureUsesTheFallback) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(1, 5, 19, 23, 7, 3, 3, 2, 1);  // used by no other test
  ASSERT_EQ(cuda::conv2d_chosen_variant(s), 0);
  const auto w = random_floats((size_t)s.w_numel(), 8), b = random_floats((size_t)s.k, 9);
  DeviceArray<float> x((size_t)s.x_numel()), w_d(w), b_d(b), y((size_t)s.y_numel());
  cuda::CudaGraph graph;
  graph.begin_capture();
  cuda::conv2d_forward(x.get(), w_d.get(), b_d.get(), y.get(), s);
  graph.end_capture();
  EXPECT_EQ(cuda::conv2d_chosen_variant(s), 0) << "nothing was timed during the capture";
  fill_hash(x.get(), s.x_numel(), 31);
  y.poison();
  graph.replay();
  EXPECT_TRUE(close_to_ref(y.download(), conv2d_reference(hashed((size_t)s.x_numel(), 31), w, &b, s), kTolFP32));
}

}  // namespace
}  // namespace yp::test
