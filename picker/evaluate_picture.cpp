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
  imgproc::RgbImage c = imgproc::RgbImage::from_gray(w, h, imgproc::to_uint8(imgproc::normalize(shown, 0.5, 99.5)));
  // Pixel-centre coordinates x map to edge coordinates x + 0.5, scaled.
  auto box = [&](const Pick& p, double inset, imgproc::Rgb8 colour, int thickness) {
    imgproc::draw_box(c, (p.x + 0.5 - p.w / 2) * s + inset, (p.y + 0.5 - p.h / 2) * s + inset, (p.x + 0.5 + p.w / 2) * s - inset,
           (p.y + 0.5 + p.h / 2) * s - inset, colour, thickness);
  };
  const imgproc::Rgb8 missed{255, 220, 0}, tp{0, 200, 0}, fp{230, 0, 0}, hard{255, 140, 0}, ignored{150, 150, 150};
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
    const std::string cls = p.cls < int(names.size()) ? names[p.cls] : std::to_string(p.cls);
    char label[64];
    std::snprintf(label, sizeof label, "%s %.2f", cls.c_str(), p.confidence);
    imgproc::draw_text(c, int((p.x - p.w / 2) * s + 6), int((p.y - p.h / 2) * s + 6), label, colour, 1);
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
  const std::string legend = mp.name + " (all classes): green TP, red FP, orange FP on an excluded object (X), "
                             "grey ignored (near an uncertain object, O), yellow missed; truth boxes thin";
  imgproc::draw_text(c, 4, h - 12, legend, imgproc::Rgb8{255, 255, 0}, 1);
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

}  // namespace yp::picker
