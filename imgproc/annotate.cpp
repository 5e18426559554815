// annotate.cpp: rectangles, bitmap text and labelled boxes on RGB images (annotate.h).
#include "imgproc/annotate.h"

#include <algorithm>
#include <cmath>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#include "imgproc/normalize.h"
#include "util/error.h"

namespace yp::imgproc {

RgbImage::RgbImage(int w, int h, Rgb8 fill) : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3) {
  for (size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = fill.r;
    pixels[i + 1] = fill.g;
    pixels[i + 2] = fill.b;
  }
}

RgbImage RgbImage::from_gray(int w, int h, const std::vector<uint8_t>& gray) {
  if (gray.size() != static_cast<size_t>(w) * h) throw Error("gray image buffer does not match its size");
  RgbImage img(w, h);
  for (size_t i = 0; i < gray.size(); ++i) img.pixels[3 * i] = img.pixels[3 * i + 1] = img.pixels[3 * i + 2] = gray[i];
  return img;
}

RgbImage RgbImage::from_picture(const LoadedImage& picture) {
  const Image& im = picture.image;
  if (picture.rgb.size() == im.size() * 3) {
    RgbImage img(im.width, im.height);
    img.pixels = picture.rgb;
    return img;
  }
  return from_gray(im.width, im.height, to_uint8(to_unit_range(im, picture.format == "mrc")));
}

void RgbImage::set(int x, int y, Rgb8 c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &pixels[(static_cast<size_t>(y) * width + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void draw_line(RgbImage& img, double x0, double y0, double x1, double y1, Rgb8 c, int thickness) {
  const int steps = static_cast<int>(std::ceil(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0)))) + 1;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  for (int i = 0; i <= steps; ++i) {
    const double t = steps > 0 ? double(i) / steps : 0.0;
    const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0))), y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
    for (int dy = lo; dy <= hi; ++dy)
      for (int dx = lo; dx <= hi; ++dx) img.set(x + dx, y + dy, c);
  }
}

void draw_box(RgbImage& img, double x0, double y0, double x1, double y1, Rgb8 c, int thickness) {
  draw_line(img, x0, y0, x1, y0, c, thickness);
  draw_line(img, x1, y0, x1, y1, c, thickness);
  draw_line(img, x1, y1, x0, y1, c, thickness);
  draw_line(img, x0, y1, x0, y0, c, thickness);
}

void fill_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 c) {
  x1 = std::max(x1, 0);
  y1 = std::max(y1, 0);
  x2 = std::min(x2, img.width - 1);
  y2 = std::min(y2, img.height - 1);
  for (int y = y1; y <= y2; ++y)
    for (int x = x1; x <= x2; ++x) {
      uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
}

void draw_rectangle(RgbImage& img, int x1, int y1, int x2, int y2, Rgb8 c, int thickness) {
  if (x2 < x1 || y2 < y1 || thickness < 1) return;
  const int t = thickness - 1;
  fill_rectangle(img, x1, y1, x2, std::min(y1 + t, y2), c);  // top
  fill_rectangle(img, x1, std::max(y2 - t, y1), x2, y2, c);  // bottom
  fill_rectangle(img, x1, y1, std::min(x1 + t, x2), y2, c);  // left
  fill_rectangle(img, std::max(x2 - t, x1), y1, x2, y2, c);  // right
}

namespace {
// stb_easy_font has glyphs for printable ASCII (32..126) only and reads its table out of bounds otherwise.
std::string printable(const std::string& text) {
  std::string s = text;
  for (char& ch : s)
    if (ch < 32 || ch > 126) ch = '?';
  return s;
}

// stb_easy_font writes 4 vertices of 16 bytes (x, y, z floats, RGBA) per quad; ~270 bytes per character.
std::vector<char> font_quads(const std::string& text, int& quads) {
  std::vector<char> buffer(text.size() * 400 + 64);
  std::string copy = printable(text);
  quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buffer.data(), static_cast<int>(buffer.size()));
  return buffer;
}
}  // namespace

void draw_text(RgbImage& img, int x, int y, const std::string& text, Rgb8 c, int scale) {
  int quads = 0;
  const std::vector<char> buffer = font_quads(text, quads);
  for (int q = 0; q < quads; ++q) {
    // Vertex 0 is the quad's top-left corner and vertex 2 its bottom-right (exclusive), on integer coordinates.
    const float* v0 = reinterpret_cast<const float*>(buffer.data() + q * 64);
    const float* v2 = reinterpret_cast<const float*>(buffer.data() + q * 64 + 32);
    const int qx = static_cast<int>(v0[0]) * scale, qy = static_cast<int>(v0[1]) * scale;
    const int qx2 = static_cast<int>(v2[0]) * scale, qy2 = static_cast<int>(v2[1]) * scale;
    fill_rectangle(img, x + qx, y + qy, x + qx2 - 1, y + qy2 - 1, c);
  }
}

int text_width(const std::string& text, int scale) {
  std::string copy = printable(text);
  return stb_easy_font_width(copy.data()) * scale;
}

// Glyph cells are 7 font pixels tall above the baseline row plus 2 for descenders (g, p, y).
int text_height(int scale) { return 9 * scale; }

Rgb8 class_colour(int cls) {
  if (cls < 0) return {20, 20, 20};
  // HSV with hue = frac(cls * 0.618...), saturation 0.85, value 0.95, converted to RGB.
  const double h = std::fmod(cls * 0.6180339887498949 + 0.05, 1.0) * 6.0, s = 0.85, v = 0.95;
  const int sector = static_cast<int>(h);
  const double f = h - sector, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r = v, g = t, b = p;
  switch (sector) {
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    case 5: r = v, g = p, b = q; break;
    default: break;
  }
  auto to8 = [](double x) { return static_cast<uint8_t>(std::lround(x * 255)); };
  return {to8(r), to8(g), to8(b)};
}

void draw_labelled_box(RgbImage& img, float x1, float y1, float x2, float y2, const std::string& label, int cls,
                       int thickness, int text_scale) {
  const Rgb8 colour = class_colour(cls);
  const int lw = thickness > 0 ? thickness
                               : std::max(static_cast<int>(std::lround((img.width + img.height) / 2.0 * 0.003)), 2);
  const int bx1 = static_cast<int>(std::lround(x1)), by1 = static_cast<int>(std::lround(y1));
  const int bx2 = static_cast<int>(std::lround(x2)), by2 = static_cast<int>(std::lround(y2));
  draw_rectangle(img, bx1, by1, bx2, by2, colour, lw);
  if (label.empty()) return;
  const int scale = text_scale > 0 ? text_scale : std::max(lw - 1, 1), margin = scale;
  const int tw = text_width(label, scale) + 2 * margin, th = text_height(scale) + 2 * margin;
  const bool above = by1 - th >= 0;
  const int ty = above ? by1 - th : by1;
  fill_rectangle(img, bx1, ty, bx1 + tw - 1, ty + th - 1, colour);
  // Rec. 601 luma decides whether white or black text reads better on the tab.
  const double luma = 0.299 * colour.r + 0.587 * colour.g + 0.114 * colour.b;
  const Rgb8 ink = luma > 160 ? Rgb8{0, 0, 0} : Rgb8{255, 255, 255};
  draw_text(img, bx1 + margin, ty + margin, label, ink, scale);
}

}  // namespace yp::imgproc
