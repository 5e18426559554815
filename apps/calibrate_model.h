// calibrate_model.h: the calibration of a model file on a data set's split - `yolopick calibrate` and
// `yolopick train --calibrate` (picker/pipeline/calibrate.h for the method).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "picker/pipeline/calibrate.h"

namespace yp::app {

struct CalibrateRequest {
  std::string model, data, split = "val", out;  // out = model: in place (temporary file + rename)
  picker::CalibrationOptions options;
};

// Picks the split's micrographs as `pick` does, chooses the best-F1 threshold per class and writes the model file
// with them (every tensor as stored, float16 stays float16). Prints the table to `log`.
picker::Calibration calibrate_model_file(const CalibrateRequest& request, std::FILE* log);

// Writes `model` (to `out`, or in place when empty) with these per-class thresholds and the line saying how they
// were measured (calibrate --thresholds: e.g. pooled over a cross-validation's held-out micrographs).
void store_thresholds(const std::string& model, const std::string& out, const std::vector<float>& thresholds,
                      const std::string& how, std::FILE* log);

}  // namespace yp::app
