// calibrate.h: the calibrated operating point - `yolopick calibrate` and `train --calibrate`.
//
// A detector's confidence is not a probability: where precision and recall balance depends on the model, the
// data and the class. So the threshold `pick` applies by default is measured, not assumed: the model picks the
// validation micrographs exactly as `pick` does (pick.h: its recorded input pipeline, its tiles, NMS at the
// .cbox floor, the merge), the picks are scored against the labels as `evaluate` scores them (evaluate.h:
// one-to-one matching under a stated rule; NAME.excluded.txt / NAME.uncertain.txt beside a label file honoured),
// and for each class the threshold of the best F1 on its pooled PR curve is kept. Those thresholds go into the
// model file (yolo::ModelFileInfo::conf_thresholds), and `pick` uses them unless --conf is given.
// Why F1 and why per class: docs/picking.md "Calibrated threshold".
#pragma once

#include <string>
#include <vector>

#include "picker/evaluate.h"
#include "picker/pipeline/pick.h"

namespace yp::picker {

// A labelled micrograph: the picture and its YOLO label file (normalised to the picture; missing = no
// particles). Marked positions are read from LABELS minus ".txt" + ".excluded.txt" / ".uncertain.txt".
struct LabelledMicrograph {
  std::string image, labels;
};

struct CalibrationOptions {
  MatchRule rule{MatchRule::Kind::IoU, 0.5};
  double marker_radius = kDefaultMarkerRadius;
  double apix = 0;   // pixel size of the micrographs (pick --apix); 0 = their headers'
  PickOptions pick;  // pick's defaults: the picks are every one >= pick.floor
};

// Each micrograph picked as `pick` picks it, paired with its labels and marked positions (evaluate's input).
std::vector<MicrographPair> pick_labelled(const yolo::Detector& model, const std::vector<LabelledMicrograph>& data,
                                          const CalibrationOptions& options);

struct ClassCalibration {
  int cls = 0;
  // false: no labelled particle of this class, or no pick of it matched one (no threshold has F1 > 0); `threshold`
  // is then the old default
  bool measured = false;
  int truths = 0;         // labelled particles of this class (required ones)
  float threshold = 0.25f;
  PrPoint at_threshold, at_default;  // counts, P and R at the chosen threshold and at 0.25
  double f1 = 0;                      // at the chosen threshold
};

struct Calibration {
  std::vector<ClassCalibration> classes;  // one per class of the model, in order
  std::vector<float> thresholds() const;
};

// Per class: the best-F1 threshold of its pooled PR curve (evaluate_picks' best_threshold: on a tie, the highest
// threshold that reaches that F1). A class without labelled particles, or without one true pick, keeps 0.25.
Calibration choose_thresholds(const std::vector<MicrographPair>& scored, int nc, const MatchRule& rule,
                              double marker_radius);

// Terminal table: class, threshold, P/R/F1 there and at 0.25.
std::string calibration_table(const Calibration& c, const std::vector<std::string>& names);

}  // namespace yp::picker
