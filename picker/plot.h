// plot.h: the PR-curve chart `evaluate` and `train` draw, and 8-bit grey PNGs, on imgproc's drawing kit
// (imgproc/annotate.h), saved with imgproc::write_png (temporary file + rename).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "imgproc/annotate.h"

namespace yp::picker {

struct CurveSeries {
  std::string label;
  imgproc::Rgb8 colour;
  std::vector<std::pair<double, double>> recall_precision;  // in curve order
};
// Precision (y) against recall (x), both on [0, 1], with axes, ticks at 0.1 and a legend.
void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title);

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey);

}  // namespace yp::picker
