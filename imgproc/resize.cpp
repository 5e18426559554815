// resize.cpp: separable bicubic resize (a transcription of imresize's contributions() + resizeAlongDim)
// and binning. Both passes run as a vertical pass (output row = weighted sum of input rows, vectorised
// along x); the horizontal pass is a vertical pass on the transpose, which is cheaper than a gather.
#include "imgproc/resize.h"

#include <cmath>
#include <string>

namespace yp::imgproc {
namespace {

double keys_cubic(double s) {
  const double a = std::fabs(s), a2 = a * a, a3 = a2 * a;
  if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
  if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
  return 0;
}

// out(y, :) = sum_k w[y][k] * in(index[y][k], :) for every output row y.
Image resize_rows(const Image& in, int out_height, const ResizeTaps& t) {
  Image out(in.width, out_height);
  const int w = in.width;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < out_height; ++y) {
    float* dst = out.row(y);
    for (int k = 0; k < t.taps; ++k) {
      const float wk = t.weight[(size_t)y * t.taps + k];
      if (wk == 0.f) continue;
      const float* src = in.row(t.index[(size_t)y * t.taps + k]);
      for (int x = 0; x < w; ++x) dst[x] += wk * src[x];
    }
  }
  return out;
}

}  // namespace

ResizeTaps bicubic_taps(int in_length, int out_length, bool antialias) {
  const double scale = (double)out_length / in_length;
  double kernel_width = 4;
  const bool stretch = antialias && scale < 1;
  if (stretch) kernel_width /= scale;
  ResizeTaps t;
  t.taps = (int)std::ceil(kernel_width) + 2;
  t.index.resize((size_t)out_length * t.taps);
  t.weight.resize((size_t)out_length * t.taps);
  const int period = 2 * in_length;  // the mirrored index table [1..n, n..1]
  std::vector<double> w(t.taps);
  for (int x = 1; x <= out_length; ++x) {
    const double u = x / scale + 0.5 * (1 - 1 / scale);
    const double left = std::floor(u - kernel_width / 2);
    double sum = 0;
    for (int k = 0; k < t.taps; ++k) {
      const double d = u - (left + k);
      w[k] = stretch ? scale * keys_cubic(scale * d) : keys_cubic(d);
      sum += w[k];
    }
    for (int k = 0; k < t.taps; ++k) {
      long j = ((long)(left + k) - 1) % period;  // 0-based position in the mirrored table
      if (j < 0) j += period;
      const int index = j < in_length ? (int)j : (int)(period - 1 - j);
      t.index[(size_t)(x - 1) * t.taps + k] = index;
      t.weight[(size_t)(x - 1) * t.taps + k] = (float)(w[k] / sum);
    }
  }
  return t;
}

Image resize_bicubic(const Image& in, int out_width, int out_height, bool antialias) {
  if (in.empty()) throw Error("resize: empty image");
  if (out_width <= 0 || out_height <= 0)
    throw Error("resize: bad output size " + std::to_string(out_width) + "x" + std::to_string(out_height));
  const double scale_y = (double)out_height / in.height, scale_x = (double)out_width / in.width;
  const auto vertical = [&](const Image& im) {
    return out_height == im.height ? im : resize_rows(im, out_height, bicubic_taps(im.height, out_height, antialias));
  };
  const auto horizontal = [&](const Image& im) {
    return out_width == im.width
               ? im
               : transpose(resize_rows(transpose(im), out_width, bicubic_taps(im.width, out_width, antialias)));
  };
  // imresize resizes along the dimension with the smaller scale first (rows on a tie).
  return scale_y <= scale_x ? horizontal(vertical(in)) : vertical(horizontal(in));
}

Image bin(const Image& in, int factor) {
  if (factor < 1) throw Error("bin: factor must be >= 1, got " + std::to_string(factor));
  const int w = in.width / factor, h = in.height / factor;
  if (w == 0 || h == 0) throw Error("bin: image smaller than the binning factor " + std::to_string(factor));
  Image out(w, h);
  const float norm = 1.f / ((float)factor * factor);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; ++y) {
    float* dst = out.row(y);
    for (int dy = 0; dy < factor; ++dy) {
      const float* src = in.row(y * factor + dy);
      for (int x = 0; x < w; ++x)
        for (int dx = 0; dx < factor; ++dx) dst[x] += src[x * factor + dx];
    }
    for (int x = 0; x < w; ++x) dst[x] *= norm;
  }
  return out;
}

}  // namespace yp::imgproc
