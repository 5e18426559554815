// wiener.cpp: wiener2 with window sums from two integral images (sum g, sum g^2) in double.
// Double matters: the integral of g^2 over a 4096^2 image reaches ~1e13 * g^2, and the variance is a
// difference of two such sums; float would lose all of it.
#include "imgproc/wiener.h"

#include <algorithm>
#include <string>
#include <vector>

namespace yp::imgproc {

WienerResult wiener2(const Image& image, int window_rows, int window_cols, double noise) {
  if (image.empty()) throw ImageError("wiener: empty image");
  if (window_rows < 1 || window_cols < 1)
    throw ImageError("wiener: bad window " + std::to_string(window_rows) + "x" + std::to_string(window_cols));
  const int w = image.width, h = image.height;
  const size_t stride = (size_t)w + 1;
  // S[y][x] = sum of g over rows < y, cols < x; (h+1) x (w+1), first row and column 0.
  std::vector<double> S(stride * (h + 1), 0.0), S2(stride * (h + 1), 0.0);
  // Row prefix sums in parallel, then column accumulation in parallel over column blocks.
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; ++y) {
    const float* g = image.row(y);
    double* s = S.data() + (y + 1) * stride;
    double* s2 = S2.data() + (y + 1) * stride;
    double acc = 0, acc2 = 0;
    for (int x = 0; x < w; ++x) {
      acc += g[x], acc2 += (double)g[x] * g[x];
      s[x + 1] = acc, s2[x + 1] = acc2;
    }
  }
  for (int y = 1; y <= h; ++y) {
    double* s = S.data() + y * stride;
    double* s2 = S2.data() + y * stride;
    const double* above = s - stride;
    const double* above2 = s2 - stride;
    for (size_t x = 1; x < stride; ++x) s[x] += above[x], s2[x] += above2[x];
  }
  const int up = window_rows / 2, down = window_rows - 1 - up;  // rows y-up .. y+down (conv2 'same')
  const int left = window_cols / 2, right = window_cols - 1 - left;
  const double inv_area = 1.0 / ((double)window_rows * window_cols);
  Image mean(w, h), var(w, h);
  double var_sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : var_sum)
  for (int y = 0; y < h; ++y) {
    const size_t y0 = (size_t)std::max(0, y - up), y1 = (size_t)std::min(h, y + down + 1);
    for (int x = 0; x < w; ++x) {
      const size_t x0 = (size_t)std::max(0, x - left), x1 = (size_t)std::min(w, x + right + 1);
      const double sum = S[y1 * stride + x1] - S[y0 * stride + x1] - S[y1 * stride + x0] + S[y0 * stride + x0];
      const double sum2 =
          S2[y1 * stride + x1] - S2[y0 * stride + x1] - S2[y1 * stride + x0] + S2[y0 * stride + x0];
      const double mu = sum * inv_area, v = sum2 * inv_area - mu * mu;  // zero padding: divide by m*n
      mean.at(x, y) = (float)mu;
      var.at(x, y) = (float)v;
      var_sum += v;
    }
  }
  WienerResult result;
  result.noise = noise >= 0 ? noise : var_sum / (double)image.size();
  const float nu = (float)result.noise;
  result.image = Image(w, h);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; ++y) {
    const float *g = image.row(y), *mu = mean.row(y), *s2 = var.row(y);
    float* out = result.image.row(y);
    for (int x = 0; x < w; ++x) {
      const float denom = std::max(s2[x], nu);
      const float gain = denom > 0 ? std::max(s2[x] - nu, 0.f) / denom : 0.f;
      out[x] = mu[x] + gain * (g[x] - mu[x]);
    }
  }
  return result;
}

}  // namespace yp::imgproc
