// test_annotate.cpp: rectangles (thickness, clipping), bitmap text extent, class colours and the labelled box.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "imgproc/annotate.h"

namespace yp::imgproc {
namespace {

bool is(const RgbImage& img, int x, int y, Rgb8 c) {
  const uint8_t* p = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
  return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

int count(const RgbImage& img, Rgb8 c) {
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += is(img, x, y, c);
  return n;
}

const Rgb8 kRed{255, 0, 0}, kBlack{0, 0, 0};

TEST(Annotate, RectangleOutlineHasItsThickness) {
  RgbImage img(20, 20);
  draw_rectangle(img, 2, 3, 11, 12, kRed, 2);
  // A 10x10 outline 2 px thick: 100 - 6*6 inner pixels.
  EXPECT_EQ(count(img, kRed), 64);
  EXPECT_TRUE(is(img, 2, 3, kRed));
  EXPECT_TRUE(is(img, 10, 11, kRed));
  EXPECT_TRUE(is(img, 4, 5, kBlack));
  EXPECT_TRUE(is(img, 1, 3, kBlack));
}

TEST(Annotate, ClipsToThePicture) {
  RgbImage img(10, 10);
  draw_rectangle(img, -5, -5, 30, 4, kRed, 1);  // only the bottom edge (y = 4) and nothing else inside
  EXPECT_EQ(count(img, kRed), 10);
  fill_rectangle(img, 20, 20, 40, 40, kRed);  // wholly outside
  EXPECT_EQ(count(img, kRed), 10);
}

TEST(Annotate, TextStaysInsideItsExtent) {
  const std::string label = "person 0.87 gjpqy,";
  for (int scale : {1, 3}) {
    const int w = text_width(label, scale), h = text_height(scale);
    RgbImage img(w + 20, h + 20);
    draw_text(img, 10, 10, label, kRed, scale);
    int inked = 0, outside = 0, max_y = 0;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        if (is(img, x, y, kRed)) {
          ++inked;
          max_y = std::max(max_y, y);
          outside += x < 10 || x >= 10 + w || y < 10 || y >= 10 + h;
        }
    EXPECT_GT(inked, 40 * scale * scale);
    EXPECT_EQ(outside, 0) << "scale " << scale;
    EXPECT_GE(max_y, 10 + h - 2 * scale) << "descenders reach the bottom of the extent";
  }
  RgbImage img(40, 20);
  draw_text(img, 0, 0, std::string("a\x01\xff"), kRed, 1);  // non-printable bytes draw as '?', never crash
  EXPECT_GT(count(img, kRed), 0);
}

TEST(Annotate, ClassColoursDiffer) {
  std::set<std::tuple<int, int, int>> seen;
  for (int c = 0; c < 80; ++c) {
    const Rgb8 k = class_colour(c);
    seen.insert({k.r, k.g, k.b});
  }
  EXPECT_EQ(seen.size(), 80u);
}

TEST(Annotate, LabelledBoxDrawsTabAboveOrInside) {
  // Thickness 2 gives font scale 1 and a 1 px margin: the tab is text_height(1) + 2 = 11 px tall.
  RgbImage img(200, 100);
  draw_labelled_box(img, 50.f, 60.f, 150.f, 95.f, "bus 0.49", 5, 2);
  const Rgb8 c = class_colour(5);
  EXPECT_TRUE(is(img, 50, 60, c));
  EXPECT_TRUE(is(img, 149, 94, c));
  EXPECT_TRUE(is(img, 60, 49, c));  // the tab's top margin row, above the box
  EXPECT_TRUE(is(img, 60, 48, kBlack));
  // Near the top edge the tab goes inside the box, from its top edge down.
  RgbImage top(200, 100);
  draw_labelled_box(top, 10.f, 2.f, 150.f, 95.f, "person 0.88", 0, 2);
  EXPECT_TRUE(is(top, 20, 12, class_colour(0)));  // the tab's bottom margin row
  EXPECT_TRUE(is(top, 20, 13, kBlack));
  EXPECT_TRUE(is(top, 20, 1, kBlack));
}

}  // namespace
}  // namespace yp::imgproc
