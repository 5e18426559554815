// normalize.cpp: percentiles by selection (nth_element, O(n)) on a copy, then an affine map and clamp.
#include "imgproc/normalize.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace yp::imgproc {
namespace {

// Both percentiles from one copy: the second selection runs on the part above the first.
std::pair<double, double> percentile_pair(const Image& image, double p_lo, double p_hi) {
  std::vector<float> v(image.data);
  const size_t n = v.size();
  const auto select = [&](double p, size_t from) {
    const double pos = p / 100.0 * (double)(n - 1);
    const size_t i = (size_t)std::floor(pos);
    const double frac = pos - (double)i;
    std::nth_element(v.begin() + (long)std::min(from, i), v.begin() + (long)i, v.end());
    double value = v[i];
    if (frac > 0 && i + 1 < n) value += frac * ((double)*std::min_element(v.begin() + (long)i + 1, v.end()) - value);
    return std::make_pair(value, i);
  };
  const auto lo = select(p_lo, 0);
  const auto hi = select(p_hi, lo.second);
  return {lo.first, hi.first};
}

}  // namespace

double percentile(const Image& image, double p) {
  if (image.empty()) throw ImageError("percentile of an empty image");
  if (!(p >= 0 && p <= 100)) throw ImageError("percentile must lie in [0, 100]");
  return percentile_pair(image, p, p).first;
}

Image normalize(const Image& image, double low_percentile, double high_percentile) {
  if (image.empty()) throw ImageError("normalize: empty image");
  if (!(low_percentile >= 0 && low_percentile < high_percentile && high_percentile <= 100))
    throw ImageError("normalize: need 0 <= low percentile < high percentile <= 100");
  const auto [lo, hi] = percentile_pair(image, low_percentile, high_percentile);
  Image out(image.width, image.height);
  if (!(hi > lo)) {
    std::fill(out.data.begin(), out.data.end(), 0.5f);
    return out;
  }
  const float scale = (float)(1.0 / (hi - lo)), offset = (float)lo;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < (long)image.size(); ++i)
    out.data[(size_t)i] = std::clamp((image.data[(size_t)i] - offset) * scale, 0.f, 1.f);
  return out;
}

std::vector<uint8_t> to_uint8(const Image& image01) {
  std::vector<uint8_t> out(image01.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = (uint8_t)std::lround(255.f * std::clamp(image01.data[i], 0.f, 1.f));
  return out;
}

}  // namespace yp::imgproc
