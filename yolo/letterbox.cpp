// letterbox.cpp: letterbox geometry, OpenCV-style bilinear resize, padding and the float conversion
// (letterbox.h; picture and derivation in docs/inference.md).
#include "yolo/letterbox.h"

#include <algorithm>
#include <cmath>

namespace yp::yolo {

// Python's round(): half to even. std::nearbyint uses the current rounding mode, which is
// round-to-nearest-even unless a caller changed it.
static int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }

int stride_multiple(int size, int stride) {
  YP_CHECK(size > 0 && stride > 0, "image size " + std::to_string(size) + " and stride " +
                                       std::to_string(stride) + " must be positive");
  return (size + stride - 1) / stride * stride;
}

LetterboxGeometry letterbox_geometry(int source_width, int source_height, const LetterboxOptions& o) {
  YP_CHECK(source_width > 0 && source_height > 0, "letterbox: empty source image " + std::to_string(source_width) +
                                                      "x" + std::to_string(source_height));
  YP_CHECK(o.target_width > 0 && o.target_height > 0 && o.stride > 0,
           "letterbox: target " + std::to_string(o.target_width) + "x" + std::to_string(o.target_height) +
               " and stride " + std::to_string(o.stride) + " must be positive");
  LetterboxGeometry g;
  g.source_width = source_width;
  g.source_height = source_height;
  double r = std::min(double(o.target_height) / source_height, double(o.target_width) / source_width);
  if (!o.scaleup) r = std::min(r, 1.0);
  g.resized_width = std::max(1, round_half_even(source_width * r));
  g.resized_height = std::max(1, round_half_even(source_height * r));
  g.gain_x = g.gain_y = r;
  double pad_x = o.target_width - g.resized_width, pad_y = o.target_height - g.resized_height;
  if (o.auto_min_rect) {
    pad_x = std::fmod(pad_x, double(o.stride));  // pad >= 0 here, so fmod equals numpy's mod
    pad_y = std::fmod(pad_y, double(o.stride));
  } else if (o.scale_fill) {
    pad_x = pad_y = 0;
    g.resized_width = o.target_width;
    g.resized_height = o.target_height;
    g.gain_x = double(o.target_width) / source_width;
    g.gain_y = double(o.target_height) / source_height;
  }
  pad_x /= 2;
  pad_y /= 2;
  g.pad_left = round_half_even(pad_x - 0.1);
  g.pad_top = round_half_even(pad_y - 0.1);
  g.output_width = g.resized_width + g.pad_left + round_half_even(pad_x + 0.1);
  g.output_height = g.resized_height + g.pad_top + round_half_even(pad_y + 0.1);
  return g;
}

namespace {
// One output coordinate's two source taps and the weight of the second, OpenCV's rule.
struct Tap {
  int i0, i1;
  float w1;
};

std::vector<Tap> bilinear_taps(int src_size, int dst_size) {
  const double scale = double(src_size) / dst_size;
  std::vector<Tap> taps(static_cast<size_t>(dst_size));
  for (int d = 0; d < dst_size; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);  // OpenCV computes the position in float
    int i = static_cast<int>(std::floor(f));
    f -= static_cast<float>(i);
    if (i < 0) i = 0, f = 0;
    if (i >= src_size - 1) i = src_size - 1, f = 0;
    taps[static_cast<size_t>(d)] = {i, std::min(i + 1, src_size - 1), f};
  }
  return taps;
}
}  // namespace

std::vector<uint8_t> resize_bilinear(const uint8_t* src, int sw, int sh, int c, int dw, int dh) {
  YP_CHECK(sw > 0 && sh > 0 && dw > 0 && dh > 0 && c > 0, "resize_bilinear: empty image");
  std::vector<uint8_t> dst(static_cast<size_t>(dw) * dh * c);
  const std::vector<Tap> xt = bilinear_taps(sw, dw), yt = bilinear_taps(sh, dh);
  const size_t row = static_cast<size_t>(sw) * c;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < dh; ++y) {
    const Tap& ty = yt[static_cast<size_t>(y)];
    const uint8_t* r0 = src + ty.i0 * row;
    const uint8_t* r1 = src + ty.i1 * row;
    uint8_t* out = dst.data() + static_cast<size_t>(y) * dw * c;
    for (int x = 0; x < dw; ++x) {
      const Tap& tx = xt[static_cast<size_t>(x)];
      for (int k = 0; k < c; ++k) {
        // Horizontal pass on both rows, then vertical, as OpenCV's separable resize.
        const float a = r0[tx.i0 * c + k] * (1.f - tx.w1) + r0[tx.i1 * c + k] * tx.w1;
        const float b = r1[tx.i0 * c + k] * (1.f - tx.w1) + r1[tx.i1 * c + k] * tx.w1;
        const float v = a * (1.f - ty.w1) + b * ty.w1;
        out[static_cast<size_t>(x) * c + k] = static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.f, 255.f));
      }
    }
  }
  return dst;
}

std::vector<uint8_t> letterbox(const uint8_t* src, int c, const LetterboxGeometry& g, uint8_t pad_value) {
  YP_CHECK(c > 0, "letterbox: channels must be positive");
  std::vector<uint8_t> resized;
  const uint8_t* inner = src;
  // YOLOv5 resizes only when the size changes, so an image already at its letterbox size passes untouched.
  if (g.resized_width != g.source_width || g.resized_height != g.source_height) {
    resized = resize_bilinear(src, g.source_width, g.source_height, c, g.resized_width, g.resized_height);
    inner = resized.data();
  }
  std::vector<uint8_t> out(static_cast<size_t>(g.output_width) * g.output_height * c, pad_value);
  const size_t inner_row = static_cast<size_t>(g.resized_width) * c;
  for (int y = 0; y < g.resized_height; ++y)
    std::copy_n(inner + y * inner_row, inner_row,
                out.data() + (static_cast<size_t>(y + g.pad_top) * g.output_width + g.pad_left) * c);
  return out;
}

Tensor hwc_to_chw_tensor(const uint8_t* hwc, int width, int height, int channels) {
  Tensor t = Tensor::empty({1, channels, height, width});
  float* p = t.data<float>();
  const size_t plane = static_cast<size_t>(width) * height;
  for (size_t i = 0; i < plane; ++i)
    for (int k = 0; k < channels; ++k) p[k * plane + i] = hwc[i * channels + k] / 255.f;
  return t;
}

}  // namespace yp::yolo
