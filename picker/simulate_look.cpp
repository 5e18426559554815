// simulate_look.cpp: the "processed" look of the DeepCryoPicker KLH images (simulate.h, stage 4).
//
// Five of the six real KLH images here (../shared/data/klh_nramm_png/processed_deepcryopicker) were filtered by
// DeepCryoPicker's PreprocessingV2 notebook (SOURCES.txt), whose steps are published: normalise by the maximum,
// stretch the 5th-95th percentiles to [0, 1], gamma 0.5, histogram equalisation, a Wiener deconvolution of a
// 3 x 3 box blur, histogram equalisation again, CLAHE (clip 0.02, 8 x 8 tiles), CLAHE again (clip 0.99), four
// rounds of (Gaussian sigma 1, total-variation denoising weight 0.1), then a grey-level closing with a disc of
// radius 5. We apply the same recipe to a simulated micrograph, with two shortcuts: the blur-then-deconvolve
// pair and the second equalisation are left out (together they are close to the identity), and each TV
// denoising stops after at most 30 iterations. The result is the look of those images: dark dots the size of
// KLH subunits on a cellular background, rings with black walls, strong contrast.
#include <algorithm>
#include <cmath>

#include "imgproc/clahe.h"
#include "imgproc/normalize.h"
#include "picker/simulate.h"

namespace yp::picker {

namespace {

using imgproc::Image;

void equalize_histogram(Image& im) {  // values in [0, 1]; 256 bins, output = the cumulative share
  std::vector<double> cdf(256, 0.0);
  for (float v : im.data) cdf[std::clamp(int(v * 255.0f + 0.5f), 0, 255)] += 1;
  for (int i = 1; i < 256; ++i) cdf[i] += cdf[i - 1];
  for (double& c : cdf) c /= double(im.size());
  for (float& v : im.data) v = float(cdf[std::clamp(int(v * 255.0f + 0.5f), 0, 255)]);
}

void gaussian_blur(Image& im, double sigma) {
  const int r = int(std::ceil(4 * sigma)), w = im.width, h = im.height;
  std::vector<float> k(2 * r + 1);
  float sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& v : k) v /= sum;
  Image tmp(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[i + r] * im.at(std::clamp(x + i, 0, w - 1), y);
      tmp.at(x, y) = acc;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float acc = 0;
      for (int i = -r; i <= r; ++i) acc += k[i + r] * tmp.at(x, std::clamp(y + i, 0, h - 1));
      im.at(x, y) = acc;
    }
}

// Total-variation denoising, Chambolle's projection algorithm (2004): minimise |u - f|^2 / 2 + weight * TV(u)
// through the dual field p (here scaled by weight): u = f - div p, p <- (p - tau grad u) / (1 + tau/weight |grad u|),
// forward differences for grad, backward for div (zero flux at the edges), tau = 1/4; stop when the energy
// changes by less than 2e-4 of its first value.
void tv_denoise(Image& f, double weight, int max_iterations) {
  const int w = f.width, h = f.height;
  const size_t n = f.size();
  std::vector<float> px(n, 0.0f), py(n, 0.0f);
  Image u = f;
  const float tau = 0.25f;
  double first = 0, previous = 0;
  for (int it = 0; it < max_iterations; ++it) {
    double energy = 0;
    if (it > 0)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const size_t i = size_t(y) * w + x;
          const float div = px[i] - (x > 0 ? px[i - 1] : 0.0f) + py[i] - (y > 0 ? py[i - w] : 0.0f);
          u.data[i] = f.data[i] - div;
          energy += double(div) * div;
        }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const size_t i = size_t(y) * w + x;
        const float gx = x + 1 < w ? u.data[i + 1] - u.data[i] : 0.0f, gy = y + 1 < h ? u.data[i + w] - u.data[i] : 0.0f;
        const float norm = std::sqrt(gx * gx + gy * gy);
        energy += weight * norm;
        const float d = 1.0f + tau / float(weight) * norm;
        px[i] = (px[i] - tau * gx) / d;
        py[i] = (py[i] - tau * gy) / d;
      }
    energy /= double(n);
    if (it == 0) {
      first = previous = energy;
    } else {
      if (std::fabs(previous - energy) < 2e-4 * first) break;
      previous = energy;
    }
  }
  f = u;
}

// Grey-level dilation (max) or erosion (min) over the disc x^2 + y^2 <= r^2: a running extreme along each row
// for every half-width the disc has, then the extreme over the disc's rows.
Image disc_filter(const Image& im, int r, bool max) {
  const int w = im.width, h = im.height;
  auto pick = [max](float a, float b) { return max ? std::max(a, b) : std::min(a, b); };
  std::vector<int> half(2 * r + 1);
  for (int dy = -r; dy <= r; ++dy) half[dy + r] = int(std::floor(std::sqrt(double(r * r - dy * dy))));
  std::vector<Image> rows(r + 1);
  for (int hw : half) {
    if (!rows[hw].empty()) continue;
    rows[hw] = Image(w, h);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float e = im.at(x, y);
        for (int dx = -hw; dx <= hw; ++dx) e = pick(e, im.at(std::clamp(x + dx, 0, w - 1), y));
        rows[hw].at(x, y) = e;
      }
  }
  Image out(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float e = im.at(x, y);
      for (int dy = -r; dy <= r; ++dy) e = pick(e, rows[half[dy + r]].at(x, std::clamp(y + dy, 0, h - 1)));
      out.at(x, y) = e;
    }
  return out;
}

}  // namespace

std::vector<float> processed_look(const std::vector<float>& counts, int size) {
  Image im(size, size);
  const float top = *std::max_element(counts.begin(), counts.end());
  for (size_t i = 0; i < counts.size(); ++i) im.data[i] = top > 0 ? counts[i] / top : 0.0f;
  const double p5 = imgproc::percentile(im, 5), p95 = imgproc::percentile(im, 95);
  for (float& v : im.data) v = float(std::sqrt(std::clamp((v - p5) / std::max(1e-9, p95 - p5), 0.0, 1.0)));  // gamma 0.5
  equalize_histogram(im);
  imgproc::ClaheOptions clahe;
  clahe.tiles_x = clahe.tiles_y = 8;
  clahe.clip_limit = 0.02;
  im = imgproc::clahe(im, clahe);
  clahe.clip_limit = 0.99;
  im = imgproc::clahe(im, clahe);
  for (int round = 0; round < 4; ++round) {
    gaussian_blur(im, 1.0);
    tv_denoise(im, 0.1, 30);
  }
  im = disc_filter(disc_filter(im, 5, true), 5, false);  // closing: dilate, then erode
  for (float& v : im.data) v = std::clamp(v, 0.0f, 1.0f);
  return im.data;
}

}  // namespace yp::picker
