// plot.h: the few raster pictures the picker writes - a PR-curve chart, micrographs annotated with boxes, and
// 8-bit grey PNGs - drawn on a small RGB canvas (lines, rectangles, stb_easy_font text) and saved with
// stb_image_write via a temporary file + rename.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "picker/coords.h"

namespace yp::picker {

struct Rgb {
  uint8_t r, g, b;
};

// Row-major RGB canvas, (0,0) = top-left pixel as the PNG shows it.
struct Canvas {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3
  Canvas(int w, int h, Rgb fill);
  void set(int x, int y, Rgb c);
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  void rect(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1);
  void text(double x, double y, const std::string& s, Rgb c, int scale = 1);  // top-left anchored
  void save_png(const std::string& path) const;
};

// The palette used for class k in every picture.
Rgb class_colour(int cls);

struct CurveSeries {
  std::string label;
  Rgb colour;
  std::vector<std::pair<double, double>> recall_precision;  // in curve order
};
// Precision (y) against recall (x), both on [0, 1], with axes, ticks at 0.1 and a legend.
void write_pr_curve_png(const std::string& path, const std::vector<CurveSeries>& series, const std::string& title);

// Grey image (row 0 first, as stored in the picture file) with each pick's box drawn in its class colour.
// Picks are in MRC rows; mic.image_rows says whether the picture is flipped. Picks below `threshold` are skipped.
void write_annotated_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey,
                         const MicrographPicks& mic, double threshold);

void write_grey_png(const std::string& path, int width, int height, const std::vector<uint8_t>& grey);

}  // namespace yp::picker
