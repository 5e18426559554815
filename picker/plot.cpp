// plot.cpp: the chart canvas on imgproc's RGB image, the PR chart and grey PNGs (plot.h).
#include "picker/plot.h"

#include <algorithm>
#include <cmath>

#include "imgproc/image_io.h"
#include "util/error.h"

namespace yp::picker {

Canvas::Canvas(int w, int h, Rgb fill) : imgproc::RgbImage(w, h, fill) {}

Canvas Canvas::from_grey(int w, int h, const std::vector<uint8_t>& grey) {
  if (grey.size() != static_cast<size_t>(w) * h) throw Error("grey image buffer does not match its size");
  Canvas c(w, h, {0, 0, 0});
  for (size_t i = 0; i < grey.size(); ++i) c.pixels[3 * i] = c.pixels[3 * i + 1] = c.pixels[3 * i + 2] = grey[i];
  return c;
}

void Canvas::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

// Samples the segment at unit steps along its longer axis (a DDA) and stamps a thickness x thickness square.
void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  const int steps = static_cast<int>(std::ceil(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0)))) + 1;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  for (int i = 0; i <= steps; ++i) {
    const double t = steps > 0 ? double(i) / steps : 0.0;
    const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0))), y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
    for (int dy = lo; dy <= hi; ++dy)
      for (int dx = lo; dx <= hi; ++dx) set(x + dx, y + dy, c);
  }
}

void Canvas::rect(double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  line(x0, y0, x1, y0, c, thickness);
  line(x1, y0, x1, y1, c, thickness);
  line(x1, y1, x0, y1, c, thickness);
  line(x0, y1, x0, y0, c, thickness);
}

void Canvas::text(double x, double y, const std::string& s, Rgb c, int scale) {
  imgproc::draw_text(*this, static_cast<int>(x), static_cast<int>(y), s, c, scale);
}

void Canvas::save_png(const std::string& path) const { imgproc::write_png(path, pixels.data(), width, height, 3); }

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey) {
  if (grey.size() != static_cast<size_t>(width) * height) throw Error(path + ": image buffer does not match its size");
  imgproc::write_png(path, grey.data(), width, height, 1);
}

Rgb class_colour(int cls) { return cls < 0 ? Rgb{20, 20, 20} : imgproc::class_colour(cls); }

void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title) {
  const int W = 640, H = 560, left = 70, right = 20, top = 40, bottom = 60;
  const int pw = W - left - right, ph = H - top - bottom;
  Canvas c(W, H, {255, 255, 255});
  const Rgb axis{0, 0, 0}, grid{225, 225, 225};
  auto px = [&](double r) { return left + r * pw; };
  auto py = [&](double p) { return top + (1.0 - p) * ph; };
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    c.line(px(v), py(0), px(v), py(1), grid);
    c.line(px(0), py(v), px(1), py(v), grid);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    c.text(px(v) - 8, py(0) + 8, buf, axis, 1);
    c.text(px(0) - 32, py(v) - 4, buf, axis, 1);
  }
  c.rect(px(0), py(0), px(1), py(1), axis);
  c.text(px(0.5) - 30, H - 28, "recall", axis, 2);
  c.text(8, top - 28, "precision", axis, 2);
  c.text(px(0.25), 10, title, axis, 1);
  int legend_y = top + ph - 20 * static_cast<int>(series.size()) - 10;
  for (const CurveSeries& s : series) {
    // A step curve: hold the precision until the next recall, as the AP integral does.
    for (size_t i = 1; i < s.recall_precision.size(); ++i) {
      const auto [r0, p0] = s.recall_precision[i - 1];
      const auto [r1, p1] = s.recall_precision[i];
      c.line(px(r0), py(p0), px(r1), py(p1), s.colour, 2);
    }
    c.line(px(0.05), legend_y + 4, px(0.12), legend_y + 4, s.colour, 3);
    c.text(px(0.14), legend_y - 2, s.label, axis, 1);
    legend_y += 20;
  }
  c.save_png(path);
}

}  // namespace yp::picker
