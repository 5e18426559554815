// test_large_index_cuda.cpp: kernels on tensors of more than 2^31 elements, where index arithmetic
// done in 32-bit int would wrap (a 2048^2 micrograph batch of 16 with 64 channels already has 4.3e9
// activations). Inputs are made on the device from a hash of the index (device_fill.h), so the host
// can compute the reference of any output sample from its index; only samples come back: the first
// elements, those across the 2^31 boundary and the last ones.
//
// Each test needs tens of GB of device memory (an H100/H200 has 80-141 GB) and skips with the reason
// when the device has less free. They are slow under compute-sanitizer and scripts/gpu_check.sh leaves
// them out of its sanitizer runs.
#include <cmath>

#include "cuda_kernels/batchnorm2d.h"
#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/elementwise.h"
#include "cuda_kernels/maxpool2d.h"
#include "cuda_kernels/upsample.h"
#include "tests/cuda/cuda_test_support.h"
#include "tests/cuda/device_fill.h"

namespace yp::test {
namespace {

constexpr int64_t kTwoTo31 = int64_t(1) << 31;
constexpr size_t kSample = 257;

// Skips unless `bytes` (plus 1 GB of slack) are free on the device.
#define YP_REQUIRE_DEVICE_MEMORY(bytes)                                                                   \
  do {                                                                                                    \
    size_t free_ = 0, total_ = 0;                                                                         \
    CUDA_CHECK(cudaMemGetInfo(&free_, &total_));                                                          \
    if (free_ < (size_t)(bytes) + (size_t(1) << 30))                                                      \
      GTEST_SKIP() << "needs " << ((size_t)(bytes) >> 30) << " GB of device memory, " << (free_ >> 30) \
                   << " GB free";                                                                         \
  } while (0)

// Starting indices of the samples checked in an array of n elements.
std::vector<int64_t> sample_starts(int64_t n) {
  std::vector<int64_t> at = {0, n - (int64_t)kSample};
  if (n > kTwoTo31 + (int64_t)kSample) at.push_back(kTwoTo31 - (int64_t)kSample / 2);
  return at;
}

// Gives the cached blocks back: the next test needs the memory, not a cache of this one's sizes.
struct ReleaseCacheAtEnd {
  ~ReleaseCacheAtEnd() { cuda::release_cached_memory(); }
};

TEST(CudaLargeIndex, SiluOverMoreThan2To31Elements) {
  YP_REQUIRE_CUDA();
  const int64_t n = kTwoTo31 + 4099;
  YP_REQUIRE_DEVICE_MEMORY(2 * n * sizeof(float));
  ReleaseCacheAtEnd release;
  DeviceArray<float> x((size_t)n), y((size_t)n);
  fill_hash(x.get(), n, 1);
  y.poison();
  cuda::silu_forward_f32(x.get(), y.get(), n);
  for (int64_t at : sample_starts(n)) {
    std::vector<double> ref(kSample);
    for (size_t i = 0; i < kSample; ++i) {
      const double v = hash_float((uint64_t)at + i, 1);
      ref[i] = v / (1 + std::exp(-v));
    }
    EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, kSample), ref, kTolFP32)) << "at " << at;
  }
}

TEST(CudaLargeIndex, UpsampleOutputOfMoreThan2To31Elements) {
  YP_REQUIRE_CUDA();
  const int64_t planes = 3;
  const int h = 14000, w = 13000, scale = 2;  // output 3 x 28000 x 26000 = 2.18e9
  const int64_t in_n = planes * h * w, out_n = in_n * scale * scale;
  YP_REQUIRE_DEVICE_MEMORY((2 * in_n + out_n) * sizeof(float));
  ReleaseCacheAtEnd release;
  DeviceArray<float> x((size_t)in_n), y((size_t)out_n), dx((size_t)in_n);
  fill_hash(x.get(), in_n, 2);
  y.poison();
  cuda::upsample_nearest_forward(x.get(), y.get(), planes, h, w, scale);
  const int64_t oh = (int64_t)h * scale, ow = (int64_t)w * scale;
  for (int64_t at : sample_starts(out_n)) {
    std::vector<double> ref(kSample);
    for (size_t i = 0; i < kSample; ++i) {
      const int64_t o = at + (int64_t)i, plane = o / (oh * ow), r = (o / ow) % oh, c = o % ow;
      ref[i] = hash_float((uint64_t)((plane * h + r / scale) * w + c / scale), 2);
    }
    EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, kSample), ref, 0.0)) << "at " << at;
  }
  // Backward with dy = y: dx = scale^2 x.
  dx.poison();
  cuda::upsample_nearest_backward(y.get(), dx.get(), planes, h, w, scale);
  for (int64_t at : sample_starts(in_n)) {
    std::vector<double> ref(kSample);
    for (size_t i = 0; i < kSample; ++i) ref[i] = scale * scale * (double)hash_float((uint64_t)at + i, 2);
    EXPECT_TRUE(close_to_ref(dx.download_range((size_t)at, kSample), ref, kTolFP32)) << "backward at " << at;
  }
}

TEST(CudaLargeIndex, MaxPoolOverMoreThan2To31Elements) {
  YP_REQUIRE_CUDA();
  const cuda::PoolShape s = cuda::PoolShape::make(1, 2, 33000, 33000, 5, 1, 2);
  const int64_t n = (int64_t)s.n * s.c * s.h * s.w;  // 2.18e9
  // x, y, dy = y, dx and the backward's int argmax buffer.
  YP_REQUIRE_DEVICE_MEMORY(4 * n * sizeof(float) + n * sizeof(int));
  ReleaseCacheAtEnd release;
  DeviceArray<float> x((size_t)n), y((size_t)n), dx((size_t)n);
  fill_hash(x.get(), n, 3);
  y.poison();
  cuda::maxpool2d_forward(x.get(), y.get(), s);
  auto window_max = [&](int64_t o, int64_t* arg) {
    const int64_t plane = o / ((int64_t)s.h * s.w), p = (o / s.w) % s.h, q = o % s.w;
    float best = 0;
    *arg = -1;
    for (int64_t r = std::max<int64_t>(p - 2, 0); r < std::min<int64_t>(p + 3, s.h); ++r)
      for (int64_t c = std::max<int64_t>(q - 2, 0); c < std::min<int64_t>(q + 3, s.w); ++c) {
        const int64_t i = (plane * s.h + r) * s.w + c;
        const float v = hash_float((uint64_t)i, 3);
        if (*arg < 0 || v > best) best = v, *arg = i;
      }
    return best;
  };
  for (int64_t at : sample_starts(n)) {
    std::vector<double> ref(kSample);
    int64_t arg = 0;
    for (size_t i = 0; i < kSample; ++i) ref[i] = window_max(at + (int64_t)i, &arg);
    EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, kSample), ref, 0.0)) << "at " << at;
  }
  // Backward with dy = 1 everywhere: dx counts the windows that chose each input. Checked on the
  // samples' own elements by counting, over the 5x5 windows that cover each, those whose argmax it is.
  const std::vector<float> ones(kSample, 1.f);
  DeviceArray<float>& dy = y;
  CUDA_CHECK(cudaMemset(dy.get(), 0, dy.bytes()));
  for (int64_t at : sample_starts(n)) dy.upload_range((size_t)at, ones);
  dx.poison();
  cuda::maxpool2d_backward(x.get(), dy.get(), dx.get(), s);
  for (int64_t at : sample_starts(n)) {
    std::vector<double> ref(kSample, 0.0);
    for (size_t i = 0; i < kSample; ++i) {
      const int64_t e = at + (int64_t)i, plane = e / ((int64_t)s.h * s.w), h = (e / s.w) % s.h, w = e % s.w;
      for (int64_t p = std::max<int64_t>(h - 2, 0); p < std::min<int64_t>(h + 3, s.h); ++p)
        for (int64_t q = std::max<int64_t>(w - 2, 0); q < std::min<int64_t>(w + 3, s.w); ++q) {
          const int64_t o = (plane * s.h + p) * s.w + q;
          if (o < at || o >= at + (int64_t)kSample) continue;  // dy is 1 only inside the samples
          int64_t arg = 0;
          window_max(o, &arg);
          if (arg == e) ref[i] += 1;
        }
    }
    EXPECT_TRUE(close_to_ref(dx.download_range((size_t)at, kSample), ref, 0.0)) << "backward at " << at;
  }
}

// Convolutions with the input (A) or the output (B) past 2^31 elements, on the variants that need no
// im2col buffer (variants 2-4 would need 40 GB of col for B) and the backward.
TEST(CudaLargeIndex, ConvolutionPast2To31Elements) {
  YP_REQUIRE_CUDA();
  const cuda::Conv2dShape shapes[] = {
      cuda::Conv2dShape::make(1, 64, 5800, 5800, 4, 1, 1, 1, 0),   // x: 2.15e9 elements
      cuda::Conv2dShape::make(1, 2, 24000, 24000, 4, 3, 3, 1, 1),  // y: 2.3e9 elements
  };
  for (const cuda::Conv2dShape& s : shapes) {
    YP_REQUIRE_DEVICE_MEMORY((2 * s.x_numel() + 2 * s.y_numel()) * sizeof(float));
    ReleaseCacheAtEnd release;
    DeviceArray<float> x((size_t)s.x_numel()), w((size_t)s.w_numel()), y((size_t)s.y_numel()),
        dx((size_t)s.x_numel()), dw((size_t)s.w_numel());
    fill_hash(x.get(), s.x_numel(), 4);
    fill_hash(w.get(), s.w_numel(), 5);
    auto x_at = [&](int64_t n, int64_t c, int64_t h, int64_t wi) {
      if (h < 0 || h >= s.h || wi < 0 || wi >= s.w) return 0.0;
      return (double)hash_float((uint64_t)(((n * s.c + c) * s.h + h) * s.w + wi), 4);
    };
    auto w_at = [&](int64_t k, int64_t c, int64_t r, int64_t t) {
      return (double)hash_float((uint64_t)(((k * s.c + c) * s.r + r) * s.s + t), 5);
    };
    auto y_ref = [&](int64_t o) {
      const int64_t q = o % s.q, p = (o / s.q) % s.p, k = (o / ((int64_t)s.p * s.q)) % s.k,
                    n = o / ((int64_t)s.p * s.q * s.k);
      double acc = 0;
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t r = 0; r < s.r; ++r)
          for (int64_t t = 0; t < s.s; ++t)
            acc += w_at(k, c, r, t) * x_at(n, c, p * s.stride - s.pad + r, q * s.stride - s.pad + t);
      return acc;
    };
    using Fn = void (*)(const float*, const float*, const float*, float*, const cuda::Conv2dShape&);
    const std::pair<Fn, double> variants[] = {{cuda::conv2d_forward_kernel1, kTolFP32},
                                              {cuda::conv2d_forward_kernel5, kTolFP32},
                                              {cuda::conv2d_forward_kernel6_tf32, kTolTF32}};
    for (const auto& [fn, tol] : variants) {
      y.poison();
      fn(x.get(), w.get(), nullptr, y.get(), s);
      for (int64_t at : sample_starts(s.y_numel())) {
        std::vector<double> ref(kSample);
        for (size_t i = 0; i < kSample; ++i) ref[i] = y_ref(at + (int64_t)i);
        EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, kSample), ref, tol))
            << s.str() << " tol " << tol << " at " << at;
      }
    }
    // dx with a dense dy (hashed, so the reference of a sample reads dy from its index).
    DeviceArray<float>& dy = y;
    fill_hash(dy.get(), s.y_numel(), 7);
    auto dy_at = [&](int64_t n, int64_t k, int64_t p, int64_t q) {
      return (double)hash_float((uint64_t)(((n * s.k + k) * s.p + p) * s.q + q), 7);
    };
    dx.poison();
    cuda::conv2d_backward_data(dy.get(), w.get(), dx.get(), s);
    for (int64_t at : sample_starts(s.x_numel())) {
      std::vector<double> ref(kSample);
      for (size_t i = 0; i < kSample; ++i) {  // stride 1: h = p - pad + r
        const int64_t e = at + (int64_t)i, wi = e % s.w, h = (e / s.w) % s.h, c = (e / ((int64_t)s.w * s.h)) % s.c,
                      n = e / ((int64_t)s.w * s.h * s.c);
        for (int64_t k = 0; k < s.k; ++k)
          for (int64_t r = 0; r < s.r; ++r)
            for (int64_t t = 0; t < s.s; ++t) {
              const int64_t p = h + s.pad - r, q = wi + s.pad - t;
              if (p >= 0 && p < s.p && q >= 0 && q < s.q) ref[i] += dy_at(n, k, p, q) * w_at(k, c, r, t);
            }
      }
      EXPECT_TRUE(close_to_ref(dx.download_range((size_t)at, kSample), ref, kTolFP32)) << "dx " << s.str();
    }
    // dw with dy = 1 on the sample outputs only, so the reference is a short sum.
    CUDA_CHECK(cudaMemset(dy.get(), 0, dy.bytes()));
    std::vector<double> dw_ref((size_t)s.w_numel());
    for (int64_t at : sample_starts(s.y_numel())) {
      dy.upload_range((size_t)at, std::vector<float>(kSample, 1.f));
      for (int64_t o = at; o < at + (int64_t)kSample; ++o) {
        const int64_t q = o % s.q, p = (o / s.q) % s.p, k = (o / ((int64_t)s.p * s.q)) % s.k,
                      n = o / ((int64_t)s.p * s.q * s.k);
        for (int64_t c = 0; c < s.c; ++c)
          for (int64_t r = 0; r < s.r; ++r)
            for (int64_t t = 0; t < s.s; ++t)
              dw_ref[(size_t)(((k * s.c + c) * s.r + r) * s.s + t)] +=
                  x_at(n, c, p * s.stride - s.pad + r, q * s.stride - s.pad + t);
      }
    }
    dw.poison();
    cuda::conv2d_backward_weight(x.get(), dy.get(), dw.get(), s);
    EXPECT_TRUE(close_to_ref(dw.download(), dw_ref, kTolFP32)) << "dw " << s.str();
  }
}

TEST(CudaLargeIndex, BatchNormOverMoreThan2To31Elements) {
  YP_REQUIRE_CUDA();
  const int n = 2, c = 2;
  const int64_t hw = (int64_t(1) << 29) + 7, total = n * c * hw;  // 2.15e9
  YP_REQUIRE_DEVICE_MEMORY(2 * total * sizeof(float));
  ReleaseCacheAtEnd release;
  DeviceArray<float> x((size_t)total), y((size_t)total);
  DeviceArray<float> gamma(std::vector<float>{1.5f, 0.5f}), beta(std::vector<float>{0.25f, -1.f}),
      rm(std::vector<float>{0.f, 0.f}), rv(std::vector<float>{1.f, 1.f}), sm(c), si(c);
  fill_hash(x.get(), total, 6);
  y.poison();
  cuda::batchnorm2d_forward_train(x.get(), gamma.get(), beta.get(), y.get(), rm.get(), rv.get(), sm.get(), si.get(),
                                  n, c, hw, 0.03f, 1e-3f);
  // The statistics in double on the host, one channel at a time.
  std::vector<double> mean(c), invstd(c);
  for (int ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int i = 0; i < n; ++i) {
      const int64_t base = (i * c + ch) * hw;
#pragma omp parallel for reduction(+ : sum)
      for (int64_t j = 0; j < hw; ++j) sum += hash_float((uint64_t)(base + j), 6);
    }
    mean[ch] = sum / ((double)n * hw);
    const double mu = mean[ch];
    for (int i = 0; i < n; ++i) {
      const int64_t base = (i * c + ch) * hw;
#pragma omp parallel for reduction(+ : sq)
      for (int64_t j = 0; j < hw; ++j) {
        const double d = hash_float((uint64_t)(base + j), 6) - mu;
        sq += d * d;
      }
    }
    invstd[ch] = 1 / std::sqrt(sq / ((double)n * hw) + 1e-3);
  }
  // The mean of 1e9 values in [-1, 1) is ~1e-5: judged against the values' scale, not its own.
  const std::vector<float> saved_mean = sm.download();
  EXPECT_TRUE(all_close(std::vector<double>(saved_mean.begin(), saved_mean.end()), mean, 1e-7, 1e-4)) << "mean";
  EXPECT_TRUE(close_to_ref(si.download(), invstd, kTolFP32)) << "invstd";
  const float g[2] = {1.5f, 0.5f}, b[2] = {0.25f, -1.f};
  for (int64_t at : sample_starts(total)) {
    std::vector<double> ref(kSample);
    for (size_t i = 0; i < kSample; ++i) {
      const int64_t e = at + (int64_t)i, ch = (e / hw) % c;
      ref[i] = g[ch] * (hash_float((uint64_t)e, 6) - mean[ch]) * invstd[ch] + b[ch];
    }
    EXPECT_TRUE(close_to_ref(y.download_range((size_t)at, kSample), ref, 1e-4)) << "y at " << at;
  }
}

}  // namespace
}  // namespace yp::test
