// clahe.cpp: adapthisteq transcribed step by step (padding, clipHistogram, makeMapping, makeClaheImage).
// The redistribution loop is MATLAB's, including its quirks, because the result depends on it.
#include "imgproc/clahe.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace yp::imgproc {
namespace {

// MATLAB round(): half away from zero.
long matlab_round(double v) { return (long)(v < 0 ? std::ceil(v - 0.5) : std::floor(v + 0.5)); }

int bin_of(float v, int bins) {
  const float c = std::clamp(v, 0.f, 1.f);
  return std::min(bins - 1, (int)std::floor(c * (float)(bins - 1) + 0.5f));
}

void clip_histogram(std::vector<long>& hist, long clip) {
  const long bins = (long)hist.size();
  long excess = 0;
  for (long c : hist) excess += std::max(c - clip, 0L);
  const long avg_increment = excess / bins;
  const long upper = clip - avg_increment;  // bins above this are filled to the clip limit
  for (long& c : hist) {
    if (c > clip) {
      c = clip;
    } else if (c > upper) {
      excess -= clip - c;
      c = clip;
    } else {
      excess -= avg_increment;
      c += avg_increment;
    }
  }
  // Spread what is left one pixel at a time, in strides that grow as fewer pixels remain.
  long start = 0;
  while (excess > 0) {
    const long step = std::max(bins / excess, 1L);
    for (long m = start; m < bins && excess > 0; m += step) {
      if (hist[(size_t)m] < clip) {
        ++hist[(size_t)m];
        --excess;
      }
    }
    if (++start >= bins) start = 0;
    // Every bin at the clip limit with pixels left cannot happen: clip >= ceil(P / bins) holds them all.
  }
}

std::vector<float> make_mapping(const std::vector<long>& hist, long pixels, const ClaheOptions& o) {
  std::vector<float> map(hist.size());
  double cumulative = 0;
  const double eps = 2.220446049250313e-16;
  for (size_t k = 0; k < hist.size(); ++k) {
    cumulative += (double)hist[k];
    const double c = cumulative / (double)pixels;
    double m = c;
    if (o.distribution == ClaheDistribution::Rayleigh) {
      const double hconst = 2 * o.alpha * o.alpha, vmax = 1 - std::exp(-1 / hconst);
      const double val = std::min(vmax * c, 1 - eps);
      m = std::sqrt(-hconst * std::log(1 - val));
    } else if (o.distribution == ClaheDistribution::Exponential) {
      const double vmax = 1 - std::exp(-o.alpha);
      const double val = std::min(vmax * c, 1 - eps);
      m = -1 / o.alpha * std::log(1 - val);
    }
    map[k] = (float)std::min(m, 1.0);
  }
  return map;
}

// Symmetric (half-point) index into [0, n), as padarray 'symmetric'.
int mirror(int i, int n) {
  const int period = 2 * n;
  int j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

// adapthisteq's padding amounts for one dimension: pad so that n splits into `tiles` even-sized tiles.
int pad_amount(int n, int tiles) {
  int pad = 0, tile = n / tiles;
  if (n % tiles != 0) {
    tile = n / tiles + 1;
    pad = tile * tiles - n;
  }
  if (tile % 2 != 0) pad += tiles;
  return pad;
}

}  // namespace

const char* distribution_name(ClaheDistribution d) {
  switch (d) {
    case ClaheDistribution::Uniform: return "uniform";
    case ClaheDistribution::Rayleigh: return "rayleigh";
    case ClaheDistribution::Exponential: return "exponential";
  }
  return "?";
}

ClaheDistribution parse_distribution(const std::string& name) {
  if (name == "uniform") return ClaheDistribution::Uniform;
  if (name == "rayleigh") return ClaheDistribution::Rayleigh;
  if (name == "exponential") return ClaheDistribution::Exponential;
  throw Error("clahe: unknown distribution '" + name + "' (uniform, rayleigh, exponential)");
}

Image clahe(const Image& in, const ClaheOptions& o) {
  if (in.empty()) throw Error("clahe: empty image");
  if (o.tiles_x < 2 || o.tiles_y < 2) throw Error("clahe: at least 2x2 tiles (adapthisteq's rule)");
  if (o.bins < 2) throw Error("clahe: at least 2 bins");
  if (!(o.clip_limit >= 0 && o.clip_limit <= 1)) throw Error("clahe: clip limit must lie in [0, 1]");
  if (o.distribution != ClaheDistribution::Uniform && !(o.alpha > 0)) throw Error("clahe: alpha must be > 0");
  const int pad_y = pad_amount(in.height, o.tiles_y), pad_x = pad_amount(in.width, o.tiles_x);
  const int pre_y = pad_y / 2, pre_x = pad_x / 2;
  const int H = in.height + pad_y, W = in.width + pad_x;
  if (H / o.tiles_y < 2 || W / o.tiles_x < 2) throw Error("clahe: image too small for the tiles");
  // Bin index of every (padded) pixel: the histogram and the mapping lookup use the same quantisation.
  std::vector<uint16_t> bin((size_t)H * W);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < H; ++y) {
    const float* src = in.row(mirror(y - pre_y, in.height));
    for (int x = 0; x < W; ++x) bin[(size_t)y * W + x] = (uint16_t)bin_of(src[mirror(x - pre_x, in.width)], o.bins);
  }
  const int th = H / o.tiles_y, tw = W / o.tiles_x;
  const long pixels = (long)th * tw;
  const long min_clip = (pixels + o.bins - 1) / o.bins;
  const long clip = min_clip + matlab_round(o.clip_limit * (double)(pixels - min_clip));
  std::vector<std::vector<float>> maps((size_t)o.tiles_x * o.tiles_y);
#pragma omp parallel for schedule(dynamic)
  for (int t = 0; t < o.tiles_x * o.tiles_y; ++t) {
    const int ty = t / o.tiles_x, tx = t % o.tiles_x;
    std::vector<long> hist((size_t)o.bins, 0);
    for (int y = ty * th; y < (ty + 1) * th; ++y)
      for (int x = tx * tw; x < (tx + 1) * tw; ++x) ++hist[bin[(size_t)y * W + x]];
    clip_histogram(hist, clip);
    maps[(size_t)t] = make_mapping(hist, pixels, o);
  }
  // Interpolation blocks: half a tile at each edge (one tile's mapping), full tiles between centres.
  Image out(in.width, in.height);
  const auto map_at = [&](int ty, int tx) { return maps[(size_t)ty * o.tiles_x + tx].data(); };
#pragma omp parallel for schedule(static)
  for (int y = pre_y; y < pre_y + in.height; ++y) {
    // Block row: k = 0 is the top half tile, k = tiles_y the bottom half tile.
    const int k = y < th / 2 ? 0 : std::min(o.tiles_y, (y - th / 2) / th + 1);
    const int block_start = k == 0 ? 0 : th / 2 + (k - 1) * th;
    const int rows = (k == 0 || k == o.tiles_y) ? th / 2 : th;
    const int upper = std::max(k - 1, 0), lower = std::min(k, o.tiles_y - 1);
    const float r = (float)(y - block_start), R = (float)rows;
    for (int x = pre_x; x < pre_x + in.width; ++x) {
      const int l = x < tw / 2 ? 0 : std::min(o.tiles_x, (x - tw / 2) / tw + 1);
      const int col_start = l == 0 ? 0 : tw / 2 + (l - 1) * tw;
      const int cols = (l == 0 || l == o.tiles_x) ? tw / 2 : tw;
      const int left = std::max(l - 1, 0), right = std::min(l, o.tiles_x - 1);
      const float c = (float)(x - col_start), C = (float)cols;
      const uint16_t b = bin[(size_t)y * W + x];
      const float v = ((R - r) * ((C - c) * map_at(upper, left)[b] + c * map_at(upper, right)[b]) +
                       r * ((C - c) * map_at(lower, left)[b] + c * map_at(lower, right)[b])) /
                      (R * C);
      out.at(x - pre_x, y - pre_y) = v;
    }
  }
  return out;
}

}  // namespace yp::imgproc
