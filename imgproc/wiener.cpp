// wiener.cpp: wiener2 with window sums from a summed-area table built on the fly: the image is cut into
// blocks of kRowsPerBlock rows (threads take whole blocks), and each block keeps, per column, the sum over the window's rows of the rows' horizontal window
// sums (themselves differences of a row prefix sum). Moving down one row adds the entering row and
// subtracts the leaving one, so the cost per pixel is O(1) whatever the window, and the memory is
// O(width) per thread instead of two (h+1) x (w+1) double tables, which fall out of cache at 2048^2.
// Sums are in double: the variance is a difference of two large sums (E[g^2] - mu^2), and float would
// lose it for raw int16 micrographs with a large offset.
// The blocks depend on the image height only, and each restarts its running sums, so every pixel's sums
// (and the mean variance, added block by block in order) have the same bits on any number of threads.
#include "imgproc/wiener.h"


#include <algorithm>
#include <string>
#include <vector>

namespace yp::imgproc {
namespace {

// Rows per block: restarting the running sums costs window_rows extra rows per block (9 of 128 here).
constexpr int kRowsPerBlock = 128;

// box[x] += sign * (sum of g over columns x - left .. x + right, zero outside), same for g^2.
void add_row_box(const float* g, int w, int left, int right, double sign, std::vector<double>& prefix,
                 std::vector<double>& prefix2, double* box, double* box2) {
  prefix[0] = prefix2[0] = 0;
  for (int x = 0; x < w; ++x) {
    prefix[(size_t)x + 1] = prefix[(size_t)x] + g[x];
    prefix2[(size_t)x + 1] = prefix2[(size_t)x] + (double)g[x] * g[x];
  }
  for (int x = 0; x < w; ++x) {
    const size_t x0 = (size_t)std::max(0, x - left), x1 = (size_t)std::min(w, x + right + 1);
    box[x] += sign * (prefix[x1] - prefix[x0]);
    box2[x] += sign * (prefix2[x1] - prefix2[x0]);
  }
}

}  // namespace

WienerResult wiener2(const Image& image, int window_rows, int window_cols, double noise) {
  if (image.empty()) throw Error("wiener: empty image");
  if (window_rows < 1 || window_cols < 1)
    throw Error("wiener: bad window " + std::to_string(window_rows) + "x" + std::to_string(window_cols));
  const int w = image.width, h = image.height;
  const int up = window_rows / 2, down = window_rows - 1 - up;  // rows y-up .. y+down (conv2 'same')
  const int left = window_cols / 2, right = window_cols - 1 - left;
  const double inv_area = 1.0 / ((double)window_rows * window_cols);  // zero padding: always m*n
  Image mean(w, h), var(w, h);
  const int blocks = (h + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<double> block_var_sum((size_t)blocks, 0.0);
#pragma omp parallel
  {
    std::vector<double> prefix((size_t)w + 1), prefix2((size_t)w + 1), box((size_t)w), box2((size_t)w);
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const int y_begin = b * kRowsPerBlock, y_end = std::min(h, y_begin + kRowsPerBlock);
      std::fill(box.begin(), box.end(), 0.0);
      std::fill(box2.begin(), box2.end(), 0.0);
      for (int r = std::max(0, y_begin - up); r <= std::min(h - 1, y_begin + down); ++r)
        add_row_box(image.row(r), w, left, right, 1.0, prefix, prefix2, box.data(), box2.data());
      double var_sum = 0;
      for (int y = y_begin; y < y_end; ++y) {
        float* mu = mean.row(y);
        float* s2 = var.row(y);
        for (int x = 0; x < w; ++x) {
          const double m = box[(size_t)x] * inv_area, v = box2[(size_t)x] * inv_area - m * m;
          mu[x] = (float)m;
          s2[x] = (float)v;
          var_sum += v;
        }
        if (y + 1 >= y_end) break;
        if (y + 1 + down < h) add_row_box(image.row(y + 1 + down), w, left, right, 1.0, prefix, prefix2, box.data(), box2.data());
        if (y - up >= 0) add_row_box(image.row(y - up), w, left, right, -1.0, prefix, prefix2, box.data(), box2.data());
      }
      block_var_sum[(size_t)b] = var_sum;
    }
  }
  double var_sum = 0;
  for (double v : block_var_sum) var_sum += v;
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
