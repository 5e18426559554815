// cuda_test_support.h: what every CUDA kernel test needs - a skip when there is no device, device
// arrays that are poisoned (all bits set = NaN) before each kernel writes them, random inputs,
// and a comparison whose absolute tolerance scales with the reference's magnitude.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "tests/support/compare.h"

// Skips the current test, naming why no device can be used ("no CUDA device: <runtime message>").
#define YP_REQUIRE_CUDA()                                                                  \
  do {                                                                                     \
    std::string yp_reason_;                                                                \
    if (::yp::cuda::device_count(&yp_reason_) == 0) GTEST_SKIP() << "no CUDA device: " << yp_reason_; \
  } while (0)

namespace yp::test {

// Tolerances per precision (issue 5): FP32 1e-5 relative, TF32 1e-3, FP16/BF16 1e-2.
constexpr double kTolFP32 = 1e-5;
constexpr double kTolTF32 = 1e-3;
constexpr double kTolHalf = 1e-2;

template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t n) : n_(n), ptr_(static_cast<T*>(cuda::caching_malloc(bytes()))) {}
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) { upload(host); }
  ~DeviceArray() { cuda::caching_free(ptr_, bytes()); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() { return ptr_; }
  const T* get() const { return ptr_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

  void upload(const std::vector<T>& host) { upload_range(0, host); }
  void upload_range(size_t first, const std::vector<T>& host) {
    cuda::memcpy_any(ptr_ + first, true, host.data(), false, host.size() * sizeof(T));
  }
  std::vector<T> download() const { return download_range(0, n_); }
  // Elements [first, first + count): samples of arrays too large to bring back whole.
  std::vector<T> download_range(size_t first, size_t count) const {
    cuda::synchronize();  // surfaces an asynchronous kernel fault here, inside the test
    std::vector<T> host(count);
    cuda::memcpy_any(host.data(), false, ptr_ + first, true, count * sizeof(T));
    return host;
  }
  // All bits set: NaN for float/half, so an element a kernel forgets to write fails the comparison.
  void poison() {
    CUDA_CHECK(cudaMemset(ptr_, 0xFF, bytes()));
    CUDA_CHECK(cudaDeviceSynchronize());
  }

 private:
  size_t n_;
  T* ptr_;
};

// The same bits in both arrays (a kernel that must be deterministic run to run, or equal to the CPU's).
template <typename T>
::testing::AssertionResult same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "size " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0)
      return ::testing::AssertionFailure() << "first difference at [" << i << "]: " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

inline std::vector<float> random_floats(size_t n, unsigned seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

// |out - ref| <= tol * max|ref| + tol * |ref|: relative to the element, with a floor at the
// tensor's scale so that outputs that cancel to ~0 are judged against the sizes being summed.
inline ::testing::AssertionResult close_to_ref(const std::vector<float>& out, const std::vector<double>& ref,
                                               double tol) {
  double scale = 0;
  for (double r : ref) scale = std::max(scale, std::fabs(r));
  return all_close(std::vector<double>(out.begin(), out.end()), ref, tol * std::max(scale, 1e-30), tol);
}

}  // namespace yp::test
