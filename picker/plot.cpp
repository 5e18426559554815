// plot.cpp: the PR chart and grey PNGs (plot.h).
#include "picker/plot.h"

#include <algorithm>
#include <cmath>

#include "imgproc/image_io.h"
#include "util/text.h"
#include "util/error.h"

namespace yp::picker {

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey) {
  if (grey.size() != static_cast<size_t>(width) * height) throw Error(path + ": image buffer does not match its size");
  imgproc::write_png(path, grey.data(), width, height, 1);
}

void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title) {
  const int W = 640, H = 560, left = 70, right = 20, top = 40, bottom = 60;
  const int pw = W - left - right, ph = H - top - bottom;
  imgproc::RgbImage c(W, H, {255, 255, 255});
  const imgproc::Rgb8 axis{0, 0, 0}, grid{225, 225, 225};
  auto px = [&](double r) { return left + r * pw; };
  auto py = [&](double p) { return top + (1.0 - p) * ph; };
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    imgproc::draw_line(c, px(v), py(0), px(v), py(1), grid);
    imgproc::draw_line(c, px(0), py(v), px(1), py(v), grid);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    imgproc::draw_text(c, px(v) - 8, py(0) + 8, buf, axis, 1);
    imgproc::draw_text(c, px(0) - 32, py(v) - 4, buf, axis, 1);
  }
  imgproc::draw_box(c, px(0), py(0), px(1), py(1), axis);
  imgproc::draw_text(c, px(0.5) - 30, H - 28, "recall", axis, 2);
  imgproc::draw_text(c, 8, top - 28, "precision", axis, 2);
  imgproc::draw_text(c, px(0.5) - imgproc::text_width(title, 2) / 2, 10, title, axis, 2);
  // Positions are real-valued; draw_text takes whole pixels (truncated).
  // The legend, text at twice the font's grid (readable at 100 %), on white in the plot's lower left.
  const int legend_line = 24;
  int legend_w = 0;
  for (const CurveSeries& s : series) legend_w = std::max(legend_w, imgproc::text_width(s.label, 2));
  int legend_y = top + ph - legend_line * static_cast<int>(series.size()) - 10;
  for (const CurveSeries& s : series) {
    // A step curve: hold the precision until the next recall, as the AP integral does.
    for (size_t i = 1; i < s.recall_precision.size(); ++i) {
      const auto [r0, p0] = s.recall_precision[i - 1];
      const auto [r1, p1] = s.recall_precision[i];
      imgproc::draw_line(c, px(r0), py(p0), px(r1), py(p1), s.colour, 2);
    }
  }
  imgproc::fill_rectangle(c, (int)px(0.03), legend_y - 8, (int)px(0.14) + legend_w + 8,
                          legend_y + legend_line * (int)series.size() - 4, {255, 255, 255});
  imgproc::draw_rectangle(c, (int)px(0.03), legend_y - 8, (int)px(0.14) + legend_w + 8,
                          legend_y + legend_line * (int)series.size() - 4, {160, 160, 160}, 1);
  for (const CurveSeries& s : series) {
    imgproc::draw_line(c, px(0.05), legend_y + 6, px(0.12), legend_y + 6, s.colour, 3);
    imgproc::draw_text(c, (int)px(0.14), legend_y, s.label, axis, 2);
    legend_y += legend_line;
  }
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

void write_histogram_png(const std::string& path, const std::vector<double>& values, double lo, double hi, int bins,
                         const std::string& title, const std::string& x_label, double marker,
                         const std::string& marker_label, imgproc::Rgb8 colour) {
  YP_CHECK(bins >= 1 && hi > lo, "histogram bins and range");
  std::vector<int> count(bins, 0);
  for (double v : values) {
    const int b = (int)std::floor((v - lo) / (hi - lo) * bins);
    ++count[std::clamp(b, 0, bins - 1)];
  }
  // The count axis in four whole steps, so every gridline has its own integer label.
  const int step = std::max(1, (int)std::ceil(*std::max_element(count.begin(), count.end()) / 4.0));
  const int top_count = 4 * step;
  const int W = 640, H = 420, left = 70, right = 20, top = 50, bottom = 70;
  const int pw = W - left - right, ph = H - top - bottom;
  imgproc::RgbImage c(W, H, {255, 255, 255});
  const imgproc::Rgb8 axis{0, 0, 0}, grid{225, 225, 225};
  const auto px = [&](double v) { return left + (v - lo) / (hi - lo) * pw; };
  const auto py = [&](double n) { return top + (1.0 - n / top_count) * ph; };
  for (int i = 0; i <= 4; ++i) {  // count gridlines and labels
    const int n = step * i;
    imgproc::draw_line(c, px(lo), py(n), px(hi), py(n), grid);
    imgproc::draw_text(c, 8, (int)py(n) - 6, std::to_string(n), axis, 2);
  }
  for (int b = 0; b < bins; ++b) {
    const double x0 = lo + (hi - lo) * b / bins, x1 = lo + (hi - lo) * (b + 1) / bins;
    if (count[b] > 0) imgproc::fill_rectangle(c, (int)px(x0) + 1, (int)py(count[b]), (int)px(x1) - 1, (int)py(0), colour);
  }
  for (int i = 0; i <= 5; ++i) {  // x ticks
    const double v = lo + (hi - lo) * i / 5.0;
    const std::string t = fmt(v, hi - lo <= 5 ? 2 : 0);
    imgproc::draw_text(c, (int)px(v) - imgproc::text_width(t, 2) / 2, (int)py(0) + 8, t, axis, 2);
  }
  imgproc::draw_box(c, px(lo), py(top_count), px(hi), py(0), axis);
  if (std::isfinite(marker)) {
    for (double y = py(top_count); y < py(0); y += 12) imgproc::draw_line(c, px(marker), y, px(marker), y + 6, {220, 40, 40}, 2);
    imgproc::draw_text(c, (int)px(marker) + 6, (int)py(top_count) + 6, marker_label, {220, 40, 40}, 2);
  }
  imgproc::draw_text(c, W / 2 - imgproc::text_width(x_label, 2) / 2, H - 28, x_label, axis, 2);
  imgproc::draw_text(c, W / 2 - imgproc::text_width(title, 2) / 2, 14, title, axis, 2);
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

}  // namespace yp::picker
