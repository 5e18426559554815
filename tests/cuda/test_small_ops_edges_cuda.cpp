// test_small_ops_edges_cuda.cpp: the edges of the small CUDA kernels that the main tests
// (test_small_ops_cuda.cpp) do not reach - max-pool NaNs, ties and ragged windows checked bit for
// bit against the CPU op, 1x1 planes, 2-byte elements in the channel copy, grid-stride loops longer than the launch cap, and run-to-run
// determinism of the reductions.
#include <cmath>
#include <limits>

#include "cuda_kernels/bce_with_logits.h"
#include "cuda_kernels/concat.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/upsample.h"
#include "tensor/ops/maxpool2d.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

// The backward gathers in the CPU loop's order, so forward and backward must equal the CPU op's bits,
// with ties everywhere, NaNs (which win and propagate), 1x1 planes and windows that overhang the edge.
TEST(CudaMaxPool2dEdges, ForwardAndBackwardHaveTheCpuBits) {
  YP_REQUIRE_CUDA();
  const cuda::PoolShape shapes[] = {cuda::PoolShape::make(2, 3, 13, 11, 5, 1, 2), cuda::PoolShape::make(1, 2, 9, 7, 3, 2, 1),
                                    cuda::PoolShape::make(2, 2, 7, 9, 2, 2, 0), cuda::PoolShape::make(3, 2, 1, 1, 5, 1, 2),
                                    cuda::PoolShape::make(1, 1, 2, 3, 3, 1, 1)};
  unsigned seed = 300;
  for (const cuda::PoolShape& s : shapes) {
    std::vector<float> x = random_floats((size_t)s.n * s.c * s.h * s.w, seed += 10);
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = std::round(x[i] * 2);  // {-2..2}: ties in most windows
      if (i % 17 == 5) x[i] = std::numeric_limits<float>::quiet_NaN();
    }
    const auto dy = random_floats((size_t)s.n * s.c * s.p * s.q, seed + 1);
    Tensor xt = Tensor::from_vector(x, {s.n, s.c, s.h, s.w}).set_requires_grad(true);
    Tensor yt = maxpool2d(xt, s.kernel, s.stride, s.pad);
    yt.backward(Tensor::from_vector(dy, yt.shape()));
    DeviceArray<float> x_d(x), dy_d(dy), y_d(dy.size()), dx_d(x.size());
    y_d.poison();
    dx_d.poison();
    cuda::maxpool2d_forward(x_d.get(), y_d.get(), s);
    cuda::maxpool2d_backward(x_d.get(), dy_d.get(), dx_d.get(), s);
    const std::string tag = "kernel " + std::to_string(s.kernel) + " stride " + std::to_string(s.stride) + " pad " +
                            std::to_string(s.pad) + " on " + std::to_string(s.h) + "x" + std::to_string(s.w);
    EXPECT_TRUE(same_bits(y_d.download(), yt.to_vector())) << "forward, " << tag;
    EXPECT_TRUE(same_bits(dx_d.download(), xt.grad().to_vector())) << "backward, " << tag;
  }
}

TEST(CudaUpsampleEdges, OnePixelPlanes) {
  YP_REQUIRE_CUDA();
  const int planes = 5, scale = 2;
  const auto x = random_floats(planes, 1), dy = random_floats((size_t)planes * scale * scale, 2);
  std::vector<double> y_ref(dy.size()), dx_ref(planes);
  for (int p = 0; p < planes; ++p)
    for (int k = 0; k < scale * scale; ++k) {
      y_ref[(size_t)(p * scale * scale + k)] = x[(size_t)p];
      dx_ref[(size_t)p] += dy[(size_t)(p * scale * scale + k)];
    }
  DeviceArray<float> x_d(x), dy_d(dy), y_d(dy.size()), dx_d(x.size());
  y_d.poison();
  dx_d.poison();
  cuda::upsample_nearest_forward(x_d.get(), y_d.get(), planes, 1, 1, scale);
  cuda::upsample_nearest_backward(dy_d.get(), dx_d.get(), planes, 1, 1, scale);
  EXPECT_TRUE(close_to_ref(y_d.download(), y_ref, 0.0));
  EXPECT_TRUE(close_to_ref(dx_d.download(), dx_ref, kTolFP32));
}

// 2-byte elements (the FP16 path's activations), batch 1, a block taken from the middle of the source.
TEST(CudaConcatEdges, HalfElementsFromTheMiddle) {
  YP_REQUIRE_CUDA();
  const int64_t src_c = 7, dst_c = 5, start = 2, length = 3, dst_start = 1, batch = 2, inner = 3 * 3;
  std::vector<uint16_t> src((size_t)(batch * src_c * inner)), dst((size_t)(batch * dst_c * inner), 0xABCD);
  for (size_t i = 0; i < src.size(); ++i) src[i] = (uint16_t)(i * 7 + 1);
  std::vector<uint16_t> ref = dst;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < length; ++c)
      for (int64_t e = 0; e < inner; ++e)
        ref[(size_t)((n * dst_c + dst_start + c) * inner + e)] = src[(size_t)((n * src_c + start + c) * inner + e)];
  DeviceArray<uint16_t> src_d(src), dst_d(dst);
  cuda::copy_channel_block(src_d.get(), src_c, start, dst_d.get(), dst_c, dst_start, length, batch, inner,
                           sizeof(uint16_t));
  EXPECT_EQ(dst_d.download(), ref);
}

// n beyond the elementwise launch cap (65535 * 8 blocks of 256): the grid-stride loop must cover the
// tail. Checked on the first and last elements only (the array is 0.5 GB).
TEST(CudaElementwiseEdges, GridStrideCoversMoreThanTheLaunchCap) {
  YP_REQUIRE_CUDA();
  const int64_t n = 65535LL * 8 * 256 + 17;
  std::vector<float> pattern(4096);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = (float)i / 512.f - 4.f;
  DeviceArray<float> x((size_t)n), y((size_t)n);
  CUDA_CHECK(cudaMemset(x.get(), 0, x.bytes()));
  for (int64_t at : {(int64_t)0, n - (int64_t)pattern.size()})
    cuda::memcpy_any(x.get() + at, true, pattern.data(), false, pattern.size() * sizeof(float));
  y.poison();
  cuda::silu_forward_f32(x.get(), y.get(), n);
  for (int64_t at : {(int64_t)0, n - (int64_t)pattern.size()}) {
    std::vector<double> ref(pattern.size());
    for (size_t i = 0; i < pattern.size(); ++i) ref[i] = pattern[i] / (1 + std::exp(-(double)pattern[i]));
    EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, pattern.size()), ref, kTolFP32)) << "at " << at;
  }
  cuda::silu_forward_f32(x.get(), y.get(), 1);  // n = 1: one thread of one block
  EXPECT_NO_THROW(cuda::synchronize());
}

// The BCE loss is a two-level reduction; with block sums added in block order, two runs agree to the bit.
TEST(CudaBceEdges, LossIsDeterministicAndOneElementWorks) {
  YP_REQUIRE_CUDA();
  const size_t n = 3'000'001;  // enough for every one of the kernel's blocks
  DeviceArray<float> z(random_floats(n, 90, -6.f, 6.f)), t(random_floats(n, 91, 0.f, 1.f)), loss(1);
  cuda::bce_with_logits_forward(z.get(), t.get(), (int64_t)n, 1.5f, loss.get());
  const std::vector<float> first = loss.download();
  for (int run = 0; run < 3; ++run) {
    loss.poison();
    cuda::bce_with_logits_forward(z.get(), t.get(), (int64_t)n, 1.5f, loss.get());
    EXPECT_TRUE(same_bits(loss.download(), first)) << "run " << run;
  }
  const float z1 = 0.3f, t1 = 1.f;
  DeviceArray<float> z1_d(std::vector<float>{z1}), t1_d(std::vector<float>{t1});
  cuda::bce_with_logits_forward(z1_d.get(), t1_d.get(), 1, 1.f, loss.get());
  EXPECT_TRUE(close_to_ref(loss.download(), {std::log1p(std::exp(-(double)z1))}, kTolFP32));
}

}  // namespace
}  // namespace yp::test
