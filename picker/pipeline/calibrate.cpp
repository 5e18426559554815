// calibrate.cpp: labelled micrographs picked as `pick` picks them, and the best-F1 threshold per class
// (calibrate.h).
#include "picker/pipeline/calibrate.h"

#include <filesystem>

#include "imgproc/image_io.h"
#include "picker/formats_text.h"
#include "util/text.h"

namespace yp::picker {

namespace {

// NAME.txt -> NAME.excluded.txt (or .uncertain.txt) beside it; none when absent.
std::vector<MarkedPosition> marked_beside(const std::string& labels, const char* kind) {
  std::filesystem::path p(labels);
  p.replace_extension(std::string(".") + kind + ".txt");
  return std::filesystem::exists(p) ? read_marked_positions(p.string()) : std::vector<MarkedPosition>{};
}

}  // namespace

std::vector<MicrographPair> pick_labelled(const yolo::Detector& model, const std::vector<LabelledMicrograph>& data,
                                          const CalibrationOptions& o) {
  std::vector<MicrographPair> pairs;
  for (const LabelledMicrograph& m : data) {
    imgproc::LoadedImage img = imgproc::read_image(m.image);
    yolo::set_pixel_size(img, o.apix, model.input(), m.image);  // what pick_run does with --apix
    MicrographPair mp;
    mp.name = std::filesystem::path(m.image).stem().string();
    if (std::filesystem::exists(m.labels)) {
      mp.truth = read_yolo_txt(m.labels, img.image.width, img.image.height).picks;
      mp.excluded = marked_beside(m.labels, "excluded");
      mp.uncertain = marked_beside(m.labels, "uncertain");
    }
    for (const Pick& t : mp.truth)
      if (t.cls < 0 || t.cls >= model.nc())
        throw Error(m.labels + ": class " + std::to_string(t.cls) + " but the model has nc = " +
                    std::to_string(model.nc()));
    mp.preds = pick_micrograph(img, model, o.pick);
    pairs.push_back(std::move(mp));
  }
  return pairs;
}

std::vector<float> Calibration::thresholds() const {
  std::vector<float> t;
  for (const ClassCalibration& c : classes) t.push_back(c.threshold);
  return t;
}

Calibration choose_thresholds(const std::vector<MicrographPair>& scored, int nc, const MatchRule& rule,
                              double marker_radius) {
  const EvaluationReport r = evaluate_picks(scored, rule, 0.25, marker_radius);
  Calibration c;
  for (int k = 0; k < nc; ++k) {
    ClassCalibration cc;
    cc.cls = k;
    for (const ClassMetrics& m : r.per_class) {
      if (m.cls != k) continue;
      cc.truths = m.n_truth;
      if (m.n_truth == 0 || !(m.best_f1 > 0)) continue;  // no operating point to choose
      cc.measured = true;
      cc.threshold = (float)m.best_threshold;  // a pick's confidence: a float, exactly
      cc.at_threshold = point_at_threshold(m, cc.threshold);
      cc.f1 = m.best_f1;
      cc.at_default = point_at_threshold(m, 0.25);
    }
    c.classes.push_back(cc);
  }
  return c;
}

std::string calibration_table(const Calibration& c, const std::vector<std::string>& names) {
  std::string s = "class          threshold   picks     P      R      F1   |  at 0.25: picks     P      R      F1\n";
  for (const ClassCalibration& k : c.classes) {
    std::string name = k.cls < (int)names.size() ? names[(size_t)k.cls] : "class " + std::to_string(k.cls);
    name.resize(std::max<size_t>(name.size(), 14), ' ');
    if (!k.measured) {
      s += name + (k.truths == 0 ? " 0.25 (no labelled particle of this class: the old default kept)\n"
                                 : " 0.25 (no pick of this class matched one of its " + std::to_string(k.truths) +
                                       " labelled particles: the old default kept)\n");
      continue;
    }
    auto f1 = [](const PrPoint& p) { return p.precision + p.recall > 0 ? 2 * p.precision * p.recall / (p.precision + p.recall) : 0.0; };
    char line[200];
    std::snprintf(line, sizeof line, " %9.4f %7d  %5.3f  %5.3f  %5.3f  |          %7d  %5.3f  %5.3f  %5.3f\n",
                  k.threshold, k.at_threshold.picks, k.at_threshold.precision, k.at_threshold.recall,
                  f1(k.at_threshold), k.at_default.picks, k.at_default.precision, k.at_default.recall,
                  f1(k.at_default));
    s += name + line;
  }
  return s;
}

}  // namespace yp::picker
