// plot.cpp: the PR chart and grey PNGs (plot.h).
#include "picker/plot.h"

#include <algorithm>
#include <cmath>

#include "imgproc/image_io.h"
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

}  // namespace yp::picker
