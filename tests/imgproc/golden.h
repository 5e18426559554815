// golden.h: loading the .f32 golden files of tests/golden/imgproc (int32 width, int32 height, float32
// row-major) and comparing Images with |out - ref| <= atol + rtol |ref|, printing the worst pixels.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "imgproc/image.h"
#include "tests/support/shared_data.h"

namespace yp::test {

inline imgproc::Image load_golden(const std::string& name) {
  const std::string path = source_path("tests/golden/imgproc/" + name + ".f32");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": missing golden file (run tests/golden/imgproc/make_golden.py)");
  int32_t wh[2];
  in.read((char*)wh, 8);
  imgproc::Image img(wh[0], wh[1]);
  in.read((char*)img.data.data(), (std::streamsize)(img.size() * 4));
  if (!in) throw std::runtime_error(path + ": truncated golden file");
  return img;
}

inline ::testing::AssertionResult images_close(const imgproc::Image& out, const imgproc::Image& ref, double atol,
                                               double rtol = 0) {
  if (out.width != ref.width || out.height != ref.height)
    return ::testing::AssertionFailure() << "size " << out.width << "x" << out.height << " vs expected " << ref.width
                                         << "x" << ref.height;
  double max_err = 0;
  size_t bad = 0;
  std::ostringstream first;
  for (int y = 0; y < ref.height; ++y)
    for (int x = 0; x < ref.width; ++x) {
      const double o = out.at(x, y), r = ref.at(x, y), err = std::fabs(o - r);
      max_err = std::max(max_err, std::isfinite(err) ? err : 1e30);
      if (!(err <= atol + rtol * std::fabs(r))) {
        if (bad++ < 5) first << "  (" << x << "," << y << ") got " << o << " expected " << r << "\n";
      }
    }
  if (bad == 0) return ::testing::AssertionSuccess() << "max |err| " << max_err;
  return ::testing::AssertionFailure() << bad << " of " << ref.size() << " pixels differ (atol " << atol << ", rtol "
                                       << rtol << "), max |err| " << max_err << ":\n"
                                       << first.str();
}

inline imgproc::Image random_image(int w, int h, unsigned seed, float lo = 0.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  imgproc::Image img(w, h);
  for (float& v : img.data) v = u(rng);
  return img;
}

}  // namespace yp::test
