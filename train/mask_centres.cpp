// mask_centres.cpp: see mask_centres.h.
#include "train/mask_centres.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace yp::train {

namespace {

// 1-D squared distance transform of f (Felzenszwalb & Huttenlocher 2012): the lower envelope of
// the parabolas (q - p)^2 + f(p), found left to right, then read off.
// Breakpoints are computed in double: q^2 + f reaches 2^24 on 4096-px lines, where float stops being exact.
void edt_1d(const float* f, float* d, int n, int* v, double* z) {
  const float inf = std::numeric_limits<float>::infinity();
  int k = 0;
  v[0] = 0;
  z[0] = -inf;
  z[1] = inf;
  for (int q = 1; q < n; ++q) {
    if (f[q] == inf) continue;  // an empty parabola never joins the envelope
    if (f[v[k]] == inf) {       // the envelope so far is empty: start it here
      v[k] = q;
      continue;
    }
    // Pop parabolas that the new one hides; z[0] = -inf stops the loop at the first.
    double s = (((double)f[q] + (double)q * q) - ((double)f[v[k]] + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
    while (s <= z[k]) {
      --k;
      s = (((double)f[q] + (double)q * q) - ((double)f[v[k]] + (double)v[k] * v[k])) / (2.0 * (q - v[k]));
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = inf;
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (z[k + 1] < q) ++k;
    const float dq = (float)(q - v[k]);
    d[q] = f[v[k]] == inf ? inf : dq * dq + f[v[k]];
  }
}

}  // namespace

std::vector<float> distance_transform_sq(const std::vector<uint8_t>& inside, int width, int height) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> d((size_t)width * height);
  for (size_t i = 0; i < d.size(); ++i) d[i] = inside[i] ? inf : 0.0f;
  const int n = std::max(width, height);
  // Columns, then rows; each 1-D pass is independent, so both parallelise over lines.
#pragma omp parallel
  {
    std::vector<float> f(n), out(n);
    std::vector<double> z(n + 1);
    std::vector<int> v(n);
#pragma omp for schedule(static)
    for (int x = 0; x < width; ++x) {
      for (int y = 0; y < height; ++y) f[y] = d[(size_t)y * width + x];
      edt_1d(f.data(), out.data(), height, v.data(), z.data());
      for (int y = 0; y < height; ++y) d[(size_t)y * width + x] = out[y];
    }
#pragma omp for schedule(static)
    for (int y = 0; y < height; ++y) {
      float* row = &d[(size_t)y * width];
      edt_1d(row, out.data(), width, v.data(), z.data());
      std::copy(out.begin(), out.begin() + width, row);
    }
  }
  return d;
}

std::vector<Centre> mask_centres(const uint8_t* mask, int width, int height, const MaskCentreParams& p) {
  YP_CHECK(width > 0 && height > 0, "mask_centres: empty mask");
  YP_CHECK(p.window >= 1 && p.window % 2 == 1, "mask_centres: window must be odd and positive");
  std::vector<uint8_t> inside((size_t)width * height);
  for (size_t i = 0; i < inside.size(); ++i) inside[i] = mask[i] > p.threshold;
  const std::vector<float> d2 = distance_transform_sq(inside, width, height);
  const float min_d2 = (float)(p.min_edt_fraction * p.radius * p.min_edt_fraction * p.radius);
  const int r = p.window / 2;

  // A pixel is a peak when no pixel of its window is larger: a separable running maximum
  // (rows then columns) gives the window maximum of every pixel in O(pixels * window).
  std::vector<float> rowmax(d2.size()), winmax(d2.size());
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float m = 0;
      for (int k = std::max(0, x - r); k <= std::min(width - 1, x + r); ++k) m = std::max(m, d2[(size_t)y * width + k]);
      rowmax[(size_t)y * width + x] = m;
    }
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      float m = 0;
      for (int k = std::max(0, y - r); k <= std::min(height - 1, y + r); ++k) m = std::max(m, rowmax[(size_t)k * width + x]);
      winmax[(size_t)y * width + x] = m;
    }

  std::vector<Centre> out;
  const double min_dist2 = p.min_distance * p.min_distance;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float v = d2[(size_t)y * width + x];
      if (v < min_d2 || v < winmax[(size_t)y * width + x]) continue;
      bool duplicate = false;
      for (auto it = out.rbegin(); it != out.rend() && !duplicate; ++it) {
        if (y - it->y > p.min_distance) break;  // raster order: earlier rows are too far up
        duplicate = (it->x - x) * (it->x - x) + (it->y - y) * (it->y - y) < min_dist2;
      }
      if (!duplicate) out.push_back({(double)x, (double)y});
    }
  return out;
}

}  // namespace yp::train
