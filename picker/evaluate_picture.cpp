// evaluate_picture.cpp: the annotated picture of one micrograph's evaluation (evaluate --images; plot.h).
#include <algorithm>
#include <cmath>

#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "picker/plot.h"

namespace yp::picker {

void write_evaluation_png(const std::string& path, const imgproc::Image& micrograph, const MicrographPair& mp,
                          const MicrographOutcomes& outcomes, int max_side, const std::vector<std::string>& names) {
  const double s = max_side > 0 ? std::min(1.0, double(max_side) / std::max(micrograph.width, micrograph.height)) : 1.0;
  const int w = std::max(1, int(std::lround(micrograph.width * s))), h = std::max(1, int(std::lround(micrograph.height * s)));
  const imgproc::Image shown = s < 1.0 ? imgproc::resize_bicubic(micrograph, w, h) : micrograph;
  // Text at twice the font's grid at least (readable at 100 %).
  const int scale = std::max(2, std::max(w, h) / 600);
  const imgproc::Rgb8 missed{255, 220, 0}, tp{0, 200, 0}, fp{230, 0, 0}, hard{255, 140, 0}, ignored{150, 150, 150};
  const std::vector<std::pair<std::string, imgproc::Rgb8>> lines = {
      {mp.name + " (all classes)", {255, 255, 255}},
      {"true positive", tp},
      {"false positive", fp},
      {"false positive on an excluded object (X)", hard},
      {"ignored: near an uncertain object (O)", ignored},
      {"missed truth (thick); found truth thin", missed}};
  const int pad = 3 * scale, line_h = imgproc::text_height(scale) + 2 * scale, swatch = imgproc::text_height(scale);
  int text_w = 0;
  for (const auto& l : lines) text_w = std::max(text_w, imgproc::text_width(l.first, scale));
  // The canvas: the micrograph at the top left, a dark strip below it for the legend (wider when the legend is).
  const int canvas_w = std::max(w, 3 * pad + swatch + text_w), canvas_h = h + 2 * pad + line_h * (int)lines.size();
  const std::vector<uint8_t> grey = imgproc::to_uint8(imgproc::normalize(shown, 0.5, 99.5));
  std::vector<uint8_t> canvas((size_t)canvas_w * canvas_h, 20);
  for (int y = 0; y < h; ++y) std::copy_n(&grey[(size_t)y * w], w, &canvas[(size_t)y * canvas_w]);
  imgproc::RgbImage c = imgproc::RgbImage::from_gray(canvas_w, canvas_h, canvas);
  // Pixel-centre coordinates x map to edge coordinates x + 0.5, scaled.
  auto box = [&](const Pick& p, double inset, imgproc::Rgb8 colour, int thickness) {
    imgproc::draw_box(c, (p.x + 0.5 - p.w / 2) * s + inset, (p.y + 0.5 - p.h / 2) * s + inset, (p.x + 0.5 + p.w / 2) * s - inset,
           (p.y + 0.5 + p.h / 2) * s - inset, colour, thickness);
  };
  // Labels on filled tabs.
  const auto tab = [&](int x, int y, const std::string& text, imgproc::Rgb8 fill) {
    const int tw = imgproc::text_width(text, scale) + 2 * scale, th = imgproc::text_height(scale) + 2 * scale;
    imgproc::fill_rectangle(c, x, y, x + tw - 1, y + th - 1, fill);
    const double luma = 0.299 * fill.r + 0.587 * fill.g + 0.114 * fill.b;
    imgproc::draw_text(c, x + scale, y + scale, text, luma > 160 ? imgproc::Rgb8{0, 0, 0} : imgproc::Rgb8{255, 255, 255},
                       scale);
  };
  for (size_t t = 0; t < mp.truth.size(); ++t)
    box(mp.truth[t], 0, outcomes.truth_found[t] ? imgproc::class_colour(mp.truth[t].cls) : missed, outcomes.truth_found[t] ? 1 : 3);
  for (size_t i = 0; i < mp.preds.size(); ++i) {
    if (outcomes.pick[i] < 0) continue;
    const PickOutcome o = static_cast<PickOutcome>(outcomes.pick[i]);
    const imgproc::Rgb8 colour = o == PickOutcome::TruePositive ? tp : o == PickOutcome::HardNegative ? hard
                       : o == PickOutcome::Ignored    ? ignored
                                                      : fp;
    const Pick& p = mp.preds[i];
    box(p, 3, colour, 2);
    // A true positive shows its confidence; the picks to look at also name their class.
    const std::string cls = p.cls < int(names.size()) ? names[p.cls] : std::to_string(p.cls);
    char label[64];
    if (o == PickOutcome::TruePositive) std::snprintf(label, sizeof label, "%.2f", p.confidence);
    else std::snprintf(label, sizeof label, "%s %.2f", cls.c_str(), p.confidence);
    tab(int((p.x + 0.5 - p.w / 2) * s + 3), int((p.y + 0.5 - p.h / 2) * s + 3), label, colour);
  }
  const double r = std::max(4.0, 12 * s / 0.5);
  for (const MarkedPosition& m : mp.excluded) {
    imgproc::draw_line(c, (m.x - r) * s, (m.y - r) * s, (m.x + r) * s, (m.y + r) * s, fp, 2);
    imgproc::draw_line(c, (m.x - r) * s, (m.y + r) * s, (m.x + r) * s, (m.y - r) * s, fp, 2);
  }
  for (const MarkedPosition& m : mp.uncertain)
    for (int k = 0; k < 48; ++k) {
      const double a0 = 2 * M_PI * k / 48, a1 = 2 * M_PI * (k + 1) / 48;
      imgproc::draw_line(c, (m.x + r * std::cos(a0)) * s, (m.y + r * std::sin(a0)) * s, (m.x + r * std::cos(a1)) * s,
             (m.y + r * std::sin(a1)) * s, imgproc::Rgb8{0, 230, 0}, 2);
    }
  // The legend below the micrograph (never over it), one swatch and line per meaning.
  const int panel_y = h + pad;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int y = panel_y + (int)i * line_h;
    if (i > 0) imgproc::fill_rectangle(c, pad, y, pad + swatch - 1, y + swatch - 1, lines[i].second);
    imgproc::draw_text(c, 2 * pad + swatch, y, lines[i].first, imgproc::Rgb8{255, 255, 255}, scale);
  }
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

}  // namespace yp::picker
