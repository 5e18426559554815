// test_small_ops_cuda.cpp: max-pool, nearest upsample, channel concat/narrow, the Detect decode and
// the pointwise kernels against plain loops.
#include <cmath>

#include "cuda_kernels/concat.h"
#include "cuda_kernels/detect_decode.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/upsample.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

TEST(CudaMaxPool2d, ForwardBackwardWithTies) {
  YP_REQUIRE_CUDA();
  // SPPF's 5x5/1/2 and a 3x3/2/1; inputs drawn from {-1, 0, 1} so that ties are everywhere and the
  // "first maximum" rule decides where gradients go.
  for (const cuda::PoolShape& s : {cuda::PoolShape::make(2, 3, 9, 11, 5, 1, 2), cuda::PoolShape::make(1, 2, 8, 7, 3, 2, 1)}) {
    std::vector<float> x = random_floats((size_t)s.n * s.c * s.h * s.w, 5);
    for (float& v : x) v = std::round(v);
    const auto dy = random_floats((size_t)s.n * s.c * s.p * s.q, 6);
    std::vector<double> y_ref(dy.size()), dx_ref(x.size());
    for (int plane = 0; plane < s.n * s.c; ++plane)
      for (int p = 0; p < s.p; ++p)
        for (int q = 0; q < s.q; ++q) {
          int best = -1;
          for (int r = 0; r < s.kernel; ++r)
            for (int t = 0; t < s.kernel; ++t) {
              const int h = p * s.stride - s.pad + r, w = q * s.stride - s.pad + t;
              if (h < 0 || h >= s.h || w < 0 || w >= s.w) continue;
              const int idx = (plane * s.h + h) * s.w + w;
              if (best < 0 || x[idx] > x[best]) best = idx;
            }
          const size_t o = ((size_t)plane * s.p + p) * s.q + q;
          y_ref[o] = x[best];
          dx_ref[best] += dy[o];
        }
    DeviceArray<float> x_d(x), dy_d(dy), y_d(dy.size()), dx_d(x.size());
    y_d.poison();
    dx_d.poison();
    cuda::maxpool2d_forward(x_d.get(), y_d.get(), s);
    cuda::maxpool2d_backward(x_d.get(), dy_d.get(), dx_d.get(), s);
    EXPECT_TRUE(close_to_ref(y_d.download(), y_ref, 0.0)) << "forward is exact";
    EXPECT_TRUE(close_to_ref(dx_d.download(), dx_ref, kTolFP32)) << "backward";
  }
}

TEST(CudaUpsample, NearestForwardBackward) {
  YP_REQUIRE_CUDA();
  const int planes = 6, h = 5, w = 7;
  for (int scale : {1, 2, 3}) {
    const auto x = random_floats((size_t)planes * h * w, 20 + scale);
    const auto dy = random_floats((size_t)planes * h * w * scale * scale, 30 + scale);
    const int oh = h * scale, ow = w * scale;
    std::vector<double> y_ref(dy.size()), dx_ref(x.size());
    for (int pl = 0; pl < planes; ++pl)
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          const size_t o = ((size_t)pl * oh + i) * ow + j, in = ((size_t)pl * h + i / scale) * w + j / scale;
          y_ref[o] = x[in];
          dx_ref[in] += dy[o];
        }
    DeviceArray<float> x_d(x), dy_d(dy), y_d(dy.size()), dx_d(x.size());
    y_d.poison();
    dx_d.poison();
    cuda::upsample_nearest_forward(x_d.get(), y_d.get(), planes, h, w, scale);
    cuda::upsample_nearest_backward(dy_d.get(), dx_d.get(), planes, h, w, scale);
    EXPECT_TRUE(close_to_ref(y_d.download(), y_ref, 0.0)) << "scale " << scale;
    EXPECT_TRUE(close_to_ref(dx_d.download(), dx_ref, kTolFP32)) << "scale " << scale;
  }
}

TEST(CudaConcat, ConcatThenNarrowRoundTrips) {
  YP_REQUIRE_CUDA();
  const int64_t batch = 3, inner = 4 * 5;
  const std::vector<int64_t> channels = {2, 5, 1};
  const int64_t total_c = 8;
  std::vector<std::vector<float>> parts;
  for (size_t i = 0; i < channels.size(); ++i) parts.push_back(random_floats((size_t)(batch * channels[i] * inner), 50 + (unsigned)i));
  std::vector<double> ref((size_t)(batch * total_c * inner));
  int64_t offset = 0;
  for (size_t i = 0; i < channels.size(); ++i) {
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t c = 0; c < channels[i]; ++c)
        for (int64_t e = 0; e < inner; ++e)
          ref[(size_t)(((n * total_c) + offset + c) * inner + e)] = parts[i][(size_t)((n * channels[i] + c) * inner + e)];
    offset += channels[i];
  }
  DeviceArray<float> y(ref.size());
  y.poison();
  offset = 0;
  std::vector<std::unique_ptr<DeviceArray<float>>> parts_d;
  for (size_t i = 0; i < channels.size(); ++i) {
    parts_d.push_back(std::make_unique<DeviceArray<float>>(parts[i]));
    cuda::copy_channel_block(parts_d.back()->get(), channels[i], 0, y.get(), total_c, offset, channels[i], batch, inner,
                             sizeof(float));
    offset += channels[i];
  }
  EXPECT_TRUE(close_to_ref(y.download(), ref, 0.0)) << "concat";
  // narrow back the middle part
  DeviceArray<float> mid((size_t)(batch * channels[1] * inner));
  mid.poison();
  cuda::copy_channel_block(y.get(), total_c, channels[0], mid.get(), channels[1], 0, channels[1], batch, inner,
                           sizeof(float));
  EXPECT_EQ(mid.download(), parts[1]) << "narrow";
}

// Decodes every level into one joined output and compares it with the formulas of detect_decode.h.
void check_detect_decode(const std::vector<cuda::DetectLevel>& levels, int batch, unsigned seed) {
  const int no = levels[0].no;
  int64_t rows_total = 0;
  for (const cuda::DetectLevel& lv : levels) rows_total += (int64_t)lv.na * lv.ny * lv.nx;
  std::vector<double> ref((size_t)(batch * rows_total * no));
  DeviceArray<float> out(ref.size());
  out.poison();
  int64_t row_offset = 0;
  for (const cuda::DetectLevel& lv : levels) {
    const int cells = lv.ny * lv.nx;
    const auto raw = random_floats((size_t)batch * lv.na * no * cells, seed++, -3.f, 3.f);
    for (int b = 0; b < batch; ++b)
      for (int a = 0; a < lv.na; ++a)
        for (int cell = 0; cell < cells; ++cell)
          for (int o = 0; o < no; ++o) {
            const double sig = 1 / (1 + std::exp(-(double)raw[(((size_t)b * lv.na + a) * no + o) * cells + cell]));
            double v = sig;
            if (o == 0) v = (2 * sig - 0.5 + cell % lv.nx) * lv.stride;
            if (o == 1) v = (2 * sig - 0.5 + cell / lv.nx) * lv.stride;
            if (o == 2) v = 4 * sig * sig * lv.anchor_w[a];
            if (o == 3) v = 4 * sig * sig * lv.anchor_h[a];
            ref[(size_t)((b * rows_total + row_offset + (int64_t)a * cells + cell) * no + o)] = v;
          }
    DeviceArray<float> raw_d(raw);
    cuda::detect_decode(raw_d.get(), out.get(), batch, lv, rows_total, row_offset);
    row_offset += (int64_t)lv.na * cells;
  }
  EXPECT_TRUE(close_to_ref(out.download(), ref, kTolFP32));
}

cuda::DetectLevel detect_level(int na, int no, int ny, int nx, float stride, const std::vector<float>& anchors_wh) {
  cuda::DetectLevel lv;
  lv.na = na, lv.no = no, lv.ny = ny, lv.nx = nx, lv.stride = stride;
  for (int a = 0; a < na; ++a) lv.anchor_w[a] = anchors_wh[(size_t)(2 * a)], lv.anchor_h[a] = anchors_wh[(size_t)(2 * a + 1)];
  return lv;
}

TEST(CudaDetectDecode, TwoLevelsIntoOneOutput) {
  YP_REQUIRE_CUDA();
  const int no = 7;  // 2 classes
  check_detect_decode({detect_level(3, no, 4, 6, 8.f, {10, 13, 16, 30, 33, 23}),
                       detect_level(3, no, 2, 3, 16.f, {30, 61, 62, 45, 59, 119})},
                      2, 60);
}

// One anchor, one class (no = 6), a 1x1 level after a 3x5 one, batch 3: the joined output's row
// offsets with odd sizes.
TEST(CudaDetectDecode, OneAnchorOneClassOddLevels) {
  YP_REQUIRE_CUDA();
  check_detect_decode({detect_level(1, 6, 3, 5, 8.f, {12, 20}), detect_level(1, 6, 1, 1, 32.f, {100, 90})}, 3, 80);
}

TEST(CudaDetectDecode, TooManyAnchorsIsAClearError) {
  YP_REQUIRE_CUDA();
  cuda::DetectLevel lv;
  lv.na = cuda::DetectLevel::kMaxAnchors + 1, lv.ny = 1, lv.nx = 1;
  EXPECT_THROW(cuda::detect_decode(nullptr, nullptr, 1, lv, 1, 0), std::invalid_argument);
}

TEST(CudaElementwise, SiluSigmoidForwardBackward) {
  YP_REQUIRE_CUDA();
  const size_t n = 10007;  // not a multiple of the block size
  const auto x = random_floats(n, 70, -8.f, 8.f), dy = random_floats(n, 71);
  std::vector<double> silu(n), dsilu(n), sig(n), dsig(n);
  std::vector<float> sig_f(n);
  for (size_t i = 0; i < n; ++i) {
    const double s = 1 / (1 + std::exp(-(double)x[i]));
    silu[i] = x[i] * s;
    dsilu[i] = dy[i] * s * (1 + x[i] * (1 - s));
    sig[i] = s;
    sig_f[i] = (float)s;
    dsig[i] = dy[i] * sig_f[i] * (1.0 - sig_f[i]);
  }
  DeviceArray<float> x_d(x), dy_d(dy), sig_in(sig_f), out(n);
  out.poison();
  cuda::silu_forward_f32(x_d.get(), out.get(), (int64_t)n);
  EXPECT_TRUE(close_to_ref(out.download(), silu, kTolFP32)) << "silu";
  out.poison();
  cuda::silu_backward_f32(x_d.get(), dy_d.get(), out.get(), (int64_t)n);
  EXPECT_TRUE(close_to_ref(out.download(), dsilu, kTolFP32)) << "silu backward";
  out.poison();
  cuda::sigmoid_forward_f32(x_d.get(), out.get(), (int64_t)n);
  EXPECT_TRUE(close_to_ref(out.download(), sig, kTolFP32)) << "sigmoid";
  out.poison();
  cuda::sigmoid_backward_f32(sig_in.get(), dy_d.get(), out.get(), (int64_t)n);
  EXPECT_TRUE(close_to_ref(out.download(), dsig, kTolFP32)) << "sigmoid backward";
}

}  // namespace
}  // namespace yp::test
