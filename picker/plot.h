// plot.h: the PR-curve chart `evaluate` and `train` draw, and 8-bit grey PNGs, on imgproc's drawing kit
// (imgproc/annotate.h), saved with imgproc::write_png (temporary file + rename).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "imgproc/annotate.h"
#include "picker/coords.h"
#include "picker/evaluate.h"

namespace yp::picker {

struct CurveSeries {
  std::string label;
  imgproc::Rgb8 colour;
  std::vector<std::pair<double, double>> recall_precision;  // in curve order
};
// Precision (y) against recall (x), both on [0, 1], with axes, ticks at 0.1 and a legend.
void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title);

// A histogram of `values` in `bins` equal bins over [lo, hi] (values outside are counted in the end bins), bars in
// `colour`, counts on the y axis, an optional dashed vertical `marker` (e.g. the threshold; NaN = none) with its
// `marker_label`; text at twice the font's grid, readable at 100 %.
void write_histogram_png(const std::string& path, const std::vector<double>& values, double lo, double hi, int bins,
                         const std::string& title, const std::string& x_label, double marker,
                         const std::string& marker_label, imgproc::Rgb8 colour = {70, 110, 200});

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey);

// One micrograph's evaluation at a glance (evaluate --images; evaluate_picture.cpp): the micrograph (0.5/99.5 %
// contrast, longer side at most max_side px, 0 = full size), truth boxes thin in their class colour (missed
// ones thick yellow), picks at the threshold by outcome (green TP, red FP, orange hard negative, grey ignored)
// with their confidence (and class name, but for true positives) on a filled tab, excluded marks as red X,
// uncertain ones as green circles; a legend in a dark strip below the micrograph (text at 2x the font's grid).
void write_evaluation_png(const std::string& path, const imgproc::Image& micrograph, const MicrographPair& mp,
                          const MicrographOutcomes& outcomes, int max_side, const std::vector<std::string>& names);

}  // namespace yp::picker
