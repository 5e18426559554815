// annotate.h: drawing detections on an 8-bit RGB picture - rectangles of a given thickness, filled
// rectangles, text in stb_easy_font's built-in bitmap font (public domain, header-only, segments of a
// 1-pixel grid scaled by an integer factor), and the "box + label" style of YOLOv5's detect.py.
//
// Layout: RgbImage holds height x width x 3 bytes, interleaved R, G, B, row 0 = top row of the picture.
// Coordinates are pixel indices, x to the right, y down; everything is clipped to the picture, so boxes
// partly (or wholly) outside are safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace yp::imgproc {

struct Rgb8 {
  uint8_t r = 0, g = 0, b = 0;
};

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // height * width * 3

  RgbImage() = default;
  RgbImage(int w, int h, Rgb8 fill = {});
};

// Fills x in [x1, x2], y in [y1, y2] (inclusive, clipped).
void fill_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 colour);
// The outline of [x1, x2] x [y1, y2], growing `thickness` pixels inwards from those edges.
void draw_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 colour, int thickness);

// Text with its top-left corner at (x, y); each font pixel becomes a scale x scale square.
void draw_text(RgbImage& img, int x, int y, const std::string& text, Rgb8 colour, int scale);
// The size draw_text covers: width and height in pixels at this scale.
int text_width(const std::string& text, int scale);
int text_height(int scale);

// The colour of class `cls`: hues a golden-ratio turn apart, so neighbouring class indices contrast.
Rgb8 class_colour(int cls);

// detect.py's look: the box outline in the class colour (line width max(round((w + h) / 2 * 0.003), 2)
// when `thickness` is 0), and `label` in white (black on light colours) on a filled tab of the class colour,
// above the box when it fits, else just inside its top edge.
void draw_labelled_box(RgbImage& img, float x1, float y1, float x2, float y2, const std::string& label, int cls,
                       int thickness = 0);

}  // namespace yp::imgproc
