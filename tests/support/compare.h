// compare.h: |out - ref| <= atol + rtol * |ref|, elementwise; a failure prints the max error
// and the first mismatches (index, got, expected).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "tensor/tensor.h"

namespace yp::test {

inline ::testing::AssertionResult all_close(const std::vector<double>& out, const std::vector<double>& ref,
                                            double atol, double rtol) {
  if (out.size() != ref.size())
    return ::testing::AssertionFailure() << "size " << out.size() << " vs expected " << ref.size();
  double max_err = 0;
  size_t bad = 0;
  std::ostringstream first;
  for (size_t i = 0; i < out.size(); ++i) {
    const double err = std::fabs(out[i] - ref[i]);
    const bool ok = err <= atol + rtol * std::fabs(ref[i]) && !std::isnan(out[i]) == !std::isnan(ref[i]);
    if (std::isfinite(err)) max_err = std::max(max_err, err);
    if (!ok) {
      if (bad < 5) first << "  [" << i << "] got " << out[i] << " expected " << ref[i] << "\n";
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << out.size() << " elements differ (atol " << atol
                                       << ", rtol " << rtol << "), max |err| " << max_err << ":\n"
                                       << first.str();
}

inline std::vector<double> to_doubles(const Tensor& t) {
  const Tensor c = t.to(Device::CPU);
  std::vector<double> v((size_t)c.numel());
  for (int64_t i = 0; i < c.numel(); ++i) v[(size_t)i] = c.at(i);
  return v;
}

inline ::testing::AssertionResult all_close(const Tensor& out, const Tensor& ref, double atol, double rtol) {
  if (out.shape() != ref.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(out.shape()) << " vs expected "
                                         << shape_str(ref.shape());
  return all_close(to_doubles(out), to_doubles(ref), atol, rtol);
}

}  // namespace yp::test
