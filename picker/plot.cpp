// plot.cpp: canvas primitives, the PR chart and annotated micrographs (plot.h).
#include "picker/plot.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop
#include <stb_image_write.h>

#include "tensor/tensor.h"  // yp::Error

namespace yp::picker {

Canvas::Canvas(int w, int h, Rgb fill) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = fill.r;
    rgb[i + 1] = fill.g;
    rgb[i + 2] = fill.b;
  }
}

void Canvas::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
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
  // stb_easy_font emits axis-aligned quads (4 vertices of 16 bytes: x, y, z floats + RGBA) in a 1-px font grid.
  static char buffer[60000];
  std::string copy = s;
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer, sizeof buffer);
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buffer + q * 64);
    const float* v2 = reinterpret_cast<const float*>(buffer + q * 64 + 32);
    for (int yy = static_cast<int>(v0[1] * scale); yy < static_cast<int>(v2[1] * scale); ++yy)
      for (int xx = static_cast<int>(v0[0] * scale); xx < static_cast<int>(v2[0] * scale); ++xx)
        set(static_cast<int>(x) + xx, static_cast<int>(y) + yy, c);
  }
}

static void save_png_atomic(const std::string& path, int w, int h, int comp, const uint8_t* data) {
  const std::string tmp = path + ".tmp";
  if (!stbi_write_png(tmp.c_str(), w, h, comp, data, w * comp)) throw Error(path + ": cannot write PNG");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot rename temporary file: " + ec.message());
}

void Canvas::save_png(const std::string& path) const { save_png_atomic(path, width, height, 3, rgb.data()); }

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey) {
  if (grey.size() != static_cast<size_t>(width) * height) throw Error(path + ": image buffer does not match its size");
  save_png_atomic(path, width, height, 1, grey.data());
}

Rgb class_colour(int cls) {
  static const Rgb palette[] = {{230, 60, 40}, {40, 120, 230}, {30, 170, 60}, {200, 140, 0}, {150, 60, 200}};
  if (cls < 0) return {20, 20, 20};
  return palette[cls % 5];
}

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

void write_annotated_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey,
                         const MicrographPicks& mic, double threshold) {
  if (grey.size() != static_cast<size_t>(width) * height) throw Error(path + ": image buffer does not match its size");
  Canvas c(width, height, {0, 0, 0});
  for (size_t i = 0; i < grey.size(); ++i) c.rgb[3 * i] = c.rgb[3 * i + 1] = c.rgb[3 * i + 2] = grey[i];
  const int thick = std::max(1, width / 700);
  for (const Pick& p : mic.picks) {
    if (p.confidence < threshold) continue;
    const double y = mic.image_rows == ImageRows::FlippedY ? flip_row(p.y, height) : p.y;
    c.rect(p.x - p.w / 2, y - p.h / 2, p.x + p.w / 2, y + p.h / 2, class_colour(p.cls), thick);
  }
  c.save_png(path);
}

}  // namespace yp::picker
