// plots.cpp: results.png, PR_curve.png, val_pred.png (plots.h).
#include "train/plots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "imgproc/annotate.h"
#include "imgproc/image_io.h"
#include "picker/plot.h"
#include "util/text.h"

namespace fs = std::filesystem;

namespace yp::train {

namespace {

using imgproc::Rgb8;
using imgproc::RgbImage;

// One small line chart of y against epoch inside the rectangle (x0, y0, w, h) of the canvas.
void panel(RgbImage& c, int x0, int y0, int w, int h, const std::string& title, const std::vector<double>& xs,
           const std::vector<double>& ys) {
  const Rgb8 axis{80, 80, 80}, line{30, 90, 200};
  const int l = x0 + 40, r = x0 + w - 10, t = y0 + 20, b = y0 + h - 20;
  imgproc::draw_box(c, l, t, r, b, axis);
  imgproc::draw_text(c, x0 + 40, y0 + 5, title, Rgb8{0, 0, 0});
  if (ys.empty()) return;
  double lo = *std::min_element(ys.begin(), ys.end()), hi = *std::max_element(ys.begin(), ys.end());
  if (hi - lo < 1e-12) hi = lo + 1e-6;
  const double xmax = std::max(1.0, xs.back());
  imgproc::draw_text(c, x0 + 2, t, fmt(hi, 3), axis);
  imgproc::draw_text(c, x0 + 2, b - 8, fmt(lo, 3), axis);
  auto px = [&](double x) { return l + (r - l) * x / xmax; };
  auto py = [&](double y) { return b - (b - t) * (y - lo) / (hi - lo); };
  for (size_t i = 1; i < ys.size(); ++i) imgproc::draw_line(c, px(xs[i - 1]), py(ys[i - 1]), px(xs[i]), py(ys[i]), line, 2);
  if (ys.size() == 1) imgproc::draw_box(c, px(xs[0]) - 1, py(ys[0]) - 1, px(xs[0]) + 1, py(ys[0]) + 1, line);
}

}  // namespace

void write_results_png(const std::string& path, const std::vector<EpochRecord>& history) {
  const int pw = 240, ph = 180;
  RgbImage c(5 * pw, 2 * ph, Rgb8{255, 255, 255});
  std::vector<double> xs;
  for (const auto& r : history) xs.push_back(r.epoch);
  auto series = [&](const std::function<double(const EpochRecord&)>& f) {
    std::vector<double> v;
    for (const auto& r : history) v.push_back(f(r));
    return v;
  };
  panel(c, 0, 0, pw, ph, "train/box_loss", xs, series([](const EpochRecord& r) { return r.train_box; }));
  panel(c, pw, 0, pw, ph, "train/obj_loss", xs, series([](const EpochRecord& r) { return r.train_obj; }));
  panel(c, 2 * pw, 0, pw, ph, "train/cls_loss", xs, series([](const EpochRecord& r) { return r.train_cls; }));
  panel(c, 3 * pw, 0, pw, ph, "metrics/precision", xs, series([](const EpochRecord& r) { return r.metrics.precision; }));
  panel(c, 4 * pw, 0, pw, ph, "metrics/recall", xs, series([](const EpochRecord& r) { return r.metrics.recall; }));
  panel(c, 0, ph, pw, ph, "val/box_loss", xs, series([](const EpochRecord& r) { return r.val_box; }));
  panel(c, pw, ph, pw, ph, "val/obj_loss", xs, series([](const EpochRecord& r) { return r.val_obj; }));
  panel(c, 2 * pw, ph, pw, ph, "val/cls_loss", xs, series([](const EpochRecord& r) { return r.val_cls; }));
  panel(c, 3 * pw, ph, pw, ph, "metrics/mAP_0.5", xs, series([](const EpochRecord& r) { return r.metrics.map50; }));
  panel(c, 4 * pw, ph, pw, ph, "metrics/mAP_0.5:0.95", xs, series([](const EpochRecord& r) { return r.metrics.map; }));
  imgproc::write_png(path, c.pixels.data(), c.width, c.height, 3);
}

void write_training_plots(const std::string& out_dir, const std::vector<EpochRecord>& history,
                          const ValidationResult& best, DataLoader& val_data, const std::vector<std::string>& names) {
  write_results_png((fs::path(out_dir) / "results.png").string(), history);

  std::vector<picker::CurveSeries> curves;
  for (const ClassMetrics& cm : best.metrics.per_class) {
    picker::CurveSeries s;
    const std::string name = cm.cls < static_cast<int>(names.size()) ? names[cm.cls] : "class " + std::to_string(cm.cls);
    s.label = name + " AP50 " + fmt(cm.ap50, 3);
    s.colour = imgproc::class_colour(cm.cls);
    for (size_t i = 0; i < cm.pr_curve.size(); ++i)
      s.recall_precision.emplace_back(double(i) / (cm.pr_curve.size() - 1), cm.pr_curve[i]);
    curves.push_back(s);
  }
  picker::write_pr_curve_png((fs::path(out_dir) / "PR_curve.png").string(), curves,
                             "PR at IoU 0.5, mAP50 " + fmt(best.metrics.map50, 3));

  if (best.detections.empty()) return;
  // Each kept image as a panel of S x S: the network input itself, or with a scale the whole micrograph at the
  // network's scale shrunk to fit (its detections and labels are in the micrograph's pixels).
  const int S = val_data.config().input.size;
  const bool tiled = val_data.tiled_validation();
  const Batch b = tiled ? Batch{} : val_data.make_batch(0, 0, val_data.epoch_order(0));
  const int n = tiled ? static_cast<int>(best.detections.size())
                      : std::min<int>(static_cast<int>(best.detections.size()), static_cast<int>(b.images.size(0)));
  const int cols = n > 1 ? 2 : 1, rows = (n + cols - 1) / cols;
  RgbImage c(cols * S, rows * S, Rgb8{114, 114, 114});
  for (int k = 0; k < n; ++k) {
    const int ox = (k % cols) * S, oy = (k / cols) * S;
    double f = 1, fx = 1, fy = 1;  // panel pixels per pixel of the image drawn; per picture pixel
    if (tiled) {
      const BaseImage& x = val_data.base(best.samples[k]);
      const imgproc::Image& im = x.labelled.image;
      f = std::min(1.0, double(S) / std::max(im.width, im.height));
      fx = f / x.scale_x, fy = f / x.scale_y;
      for (int y = 0; y < int(im.height * f); ++y)
        for (int i = 0; i < int(im.width * f); ++i) {
          const float v = im.at(std::min(im.width - 1, int(i / f)), std::min(im.height - 1, int(y / f)));
          const uint8_t g = static_cast<uint8_t>(std::lround(255 * std::clamp(v, 0.0f, 1.0f)));
          c.set(ox + i, oy + y, Rgb8{g, g, g});
        }
    } else {
      const float* plane = b.images.data<float>() + int64_t(k) * b.images.size(1) * S * S;
      for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x) {
          const uint8_t g = static_cast<uint8_t>(std::lround(255 * std::clamp(plane[y * S + x], 0.0f, 1.0f)));
          c.set(ox + x, oy + y, Rgb8{g, g, g});
        }
    }
    for (const LabelBox& l : best.labels[k])
      imgproc::draw_box(c, ox + l.box.x1 * fx, oy + l.box.y1 * fy, ox + l.box.x2 * fx, oy + l.box.y2 * fy,
                        Rgb8{0, 220, 0}, 2);
    for (const auto& d : best.detections[k]) {
      if (d.conf < 0.25f) continue;
      imgproc::draw_box(c, ox + d.x1 * fx, oy + d.y1 * fy, ox + d.x2 * fx, oy + d.y2 * fy, imgproc::class_colour(d.cls + 1));
      imgproc::draw_text(c, ox + d.x1 * fx + 2, oy + d.y1 * fy + 2, fmt(d.conf, 2), imgproc::class_colour(d.cls + 1));
    }
  }
  imgproc::write_png((fs::path(out_dir) / "val_pred.png").string(), c.pixels.data(), c.width, c.height, 3);
}

}  // namespace yp::train
