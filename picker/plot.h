// plot.h: the few raster pictures the picker writes - a PR-curve chart and 8-bit grey PNGs - drawn on
// imgproc's RGB canvas (imgproc/annotate.h: rectangles, stb_easy_font text, class colours) with the one
// thing a chart needs on top of it, lines between real-valued points; saved with imgproc::write_png
// (temporary file + rename).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgproc/annotate.h"
#include "imgproc/image.h"
#include "picker/coords.h"
#include "picker/evaluate.h"

namespace yp::picker {

using Rgb = imgproc::Rgb8;

// Row-major RGB canvas (imgproc::RgbImage: pixels = height * width * 3), (0,0) = top-left pixel as the PNG
// shows it. Coordinates are real-valued and rounded; everything is clipped.
struct Canvas : imgproc::RgbImage {
  Canvas(int w, int h, Rgb fill);
  // Greyscale bytes (w * h, row 0 first) repeated into R, G and B.
  static Canvas from_grey(int w, int h, const std::vector<uint8_t>& grey);
  void set(int x, int y, Rgb c);
  // A thickness x thickness square stamped along the segment, centred on it.
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  void rect(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  void text(double x, double y, const std::string& s, Rgb c, int scale = 1);  // top-left anchored
  void save_png(const std::string& path) const;
};

// The colour of class k in every picture: imgproc::class_colour, and near-black for cls < 0 ("all classes").
Rgb class_colour(int cls);

struct CurveSeries {
  std::string label;
  Rgb colour;
  std::vector<std::pair<double, double>> recall_precision;  // in curve order
};
// Precision (y) against recall (x), both on [0, 1], with axes, ticks at 0.1 and a legend.
void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title);

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey);

// One micrograph's evaluation at a glance (evaluate --images; evaluate_picture.cpp): the micrograph (0.5/99.5 %
// contrast, longer side at most max_side px, 0 = full size), truth boxes thin in their class colour (missed
// ones thick yellow), picks at the threshold by outcome (green TP, red FP, orange hard negative, grey ignored)
// with class name and confidence, excluded marks as red X, uncertain ones as green circles.
void write_evaluation_png(const std::string& path, const imgproc::Image& micrograph, const MicrographPair& mp,
                          const MicrographOutcomes& outcomes, int max_side, const std::vector<std::string>& names);

}  // namespace yp::picker
