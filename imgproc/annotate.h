// annotate.h: drawing on an 8-bit RGB picture - the one drawing kit of the project (detect's and pick's annotated
// pictures, the charts of evaluate and train): lines and box outlines at real-valued coordinates, rectangles of a
// given thickness, filled rectangles, text in stb_easy_font's built-in bitmap font (public domain, header-only,
// segments of a 1-pixel grid scaled by an integer factor), class colours, and the "box + label" style of YOLOv5's
// detect.py.
//
// Layout: RgbImage holds height x width x 3 bytes, interleaved R, G, B, row 0 = top row of the picture.
// Coordinates are pixel indices, x to the right, y down; everything is clipped to the picture, so boxes
// partly (or wholly) outside are safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgproc/image_io.h"

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
  // Gray bytes (w * h, row 0 first) repeated into R, G and B.
  static RgbImage from_gray(int w, int h, const std::vector<uint8_t>& gray);
  // A picture as read: its R, G, B when kept (ReadOptions::keep_rgb), else its gray plane in 8 bits (to_unit_range).
  static RgbImage from_picture(const LoadedImage& picture);
  void set(int x, int y, Rgb8 colour);  // one pixel; outside the picture: nothing
};

// A thickness x thickness square stamped along the segment at unit steps of its longer axis, centred on it;
// coordinates are real-valued and rounded.
void draw_line(RgbImage& img, double x0, double y0, double x1, double y1, Rgb8 colour, int thickness = 1);
// The four sides of [x0, x1] x [y0, y1] drawn with draw_line (centred on the box's edges).
void draw_box(RgbImage& img, double x0, double y0, double x1, double y1, Rgb8 colour, int thickness = 1);

// Fills x in [x1, x2], y in [y1, y2] (inclusive, clipped).
void fill_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 colour);
// The outline of [x1, x2] x [y1, y2], growing `thickness` pixels inwards from those edges.
void draw_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 colour, int thickness);

// Text with its top-left corner at (x, y); each font pixel becomes a scale x scale square.
void draw_text(RgbImage& img, int x, int y, const std::string& text, Rgb8 colour, int scale = 1);
// The size draw_text covers: width and height in pixels at this scale.
int text_width(const std::string& text, int scale);
int text_height(int scale);

// The colour of class `cls`: hues a golden-ratio turn apart, so neighbouring class indices contrast; near-black for
// cls < 0 ("all classes" in the charts).
Rgb8 class_colour(int cls);

// detect.py's look: the box outline in the class colour (line width max(round((w + h) / 2 * 0.003), 2)
// when `thickness` is 0), and `label` in white (black on light colours) on a filled tab of the class colour,
// above the box when it fits, else just inside its top edge; the text at `text_scale` (0: thickness - 1, at least 1).
void draw_labelled_box(RgbImage& img, float x1, float y1, float x2, float y2, const std::string& label, int cls,
                       int thickness = 0, int text_scale = 0);

}  // namespace yp::imgproc
