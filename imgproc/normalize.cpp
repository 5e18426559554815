// normalize.cpp: exact percentiles by histogram-guided selection, then an affine map and clamp.
#include "imgproc/normalize.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace yp::imgproc {
namespace {

constexpr int kSelectBins = 4096;

// Exact order statistics without sorting: a 4096-bin histogram over [min, max] tells which bin holds
// rank k; only that bin's values are then selected (nth_element). Two passes over the image per rank
// instead of a full copy and O(n) selection on it; min and max themselves need no histogram.
class OrderStatistics {
 public:
  explicit OrderStatistics(const Image& image) : data_(image.data) {
    float lo = data_[0], hi = data_[0];
#pragma omp parallel for reduction(min : lo) reduction(max : hi)
    for (long i = 0; i < (long)data_.size(); ++i) lo = std::min(lo, data_[(size_t)i]), hi = std::max(hi, data_[(size_t)i]);
    min_ = lo, max_ = hi;
    scale_ = hi > lo ? (float)(kSelectBins / ((double)hi - lo)) : 0.f;
  }

  // The k-th smallest value (0-based).
  double at(size_t k) {
    if (k == 0) return min_;
    if (k + 1 >= data_.size()) return max_;
    if (counts_.empty()) build_histogram();
    size_t below = 0;
    int b = 0;
    while (below + counts_[(size_t)b] <= k) below += counts_[(size_t)b++];
    std::vector<float> in_bin;
    in_bin.reserve(counts_[(size_t)b]);
    for (float v : data_)
      if (bin(v) == b) in_bin.push_back(v);
    std::nth_element(in_bin.begin(), in_bin.begin() + (long)(k - below), in_bin.end());
    return in_bin[k - below];
  }

 private:
  int bin(float v) const { return std::min(kSelectBins - 1, (int)((v - min_) * scale_)); }
  void build_histogram() {
    counts_.assign(kSelectBins, 0);
    for (float v : data_) ++counts_[(size_t)bin(v)];
  }
  const std::vector<float>& data_;
  float min_ = 0, max_ = 0, scale_ = 0;
  std::vector<size_t> counts_;
};

// numpy.percentile's default: linear interpolation between the order statistics around p/100 (n-1).
double interpolated(OrderStatistics& stats, size_t n, double p) {
  const double pos = p / 100.0 * (double)(n - 1);
  const size_t i = (size_t)std::floor(pos);
  const double frac = pos - (double)i, value = stats.at(i);
  return frac > 0 && i + 1 < n ? value + frac * (stats.at(i + 1) - value) : value;
}

std::pair<double, double> percentile_pair(const Image& image, double p_lo, double p_hi) {
  OrderStatistics stats(image);
  return {interpolated(stats, image.size(), p_lo), interpolated(stats, image.size(), p_hi)};
}

}  // namespace

double percentile(const Image& image, double p) {
  if (image.empty()) throw Error("percentile of an empty image");
  if (!(p >= 0 && p <= 100)) throw Error("percentile must lie in [0, 100]");
  return percentile_pair(image, p, p).first;
}

Image normalize(const Image& image, double low_percentile, double high_percentile) {
  if (image.empty()) throw Error("normalize: empty image");
  if (!(low_percentile >= 0 && low_percentile < high_percentile && high_percentile <= 100))
    throw Error("normalize: need 0 <= low percentile < high percentile <= 100");
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

Image to_unit_range(const Image& image, bool from_mrc) {
  float hi = 0;
  for (float v : image.data) hi = std::max(hi, v);
  if (from_mrc || hi > 255.0f) return normalize(image, 0.1, 99.9);
  Image out = image;
  for (float& v : out.data) v /= 255.0f;
  return out;
}

std::vector<uint8_t> to_uint8(const Image& image01) {
  std::vector<uint8_t> out(image01.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = (uint8_t)std::lround(255.f * std::clamp(image01.data[i], 0.f, 1.f));
  return out;
}

}  // namespace yp::imgproc
