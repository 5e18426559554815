// Augmentations: draw bright boxes, augment, find the bright blobs again and check that the labels moved
// exactly with the pixels (within the one pixel that bilinear resampling blurs an edge by).
#include <gtest/gtest.h>

#include <cmath>

#include "train/augment.h"

using namespace yp;
using namespace yp::train;

namespace {

LabelledImage drawn(int w, int h, const std::vector<PixelBox>& boxes) {
  LabelledImage x;
  x.image = imgproc::Image(w, h, 0.0f);
  for (const PixelBox& b : boxes) {
    for (int y = int(b.y1); y < int(b.y2); ++y)
      for (int i = int(b.x1); i < int(b.x2); ++i) x.image.at(i, y) = 1.0f;
    x.boxes.push_back(b);
  }
  return x;
}

// Bounding boxes (pixel edges) of the 4-connected regions brighter than 0.5.
std::vector<PixelBox> blobs(const imgproc::Image& im) {
  std::vector<char> seen(im.size(), 0);
  std::vector<PixelBox> out;
  for (int y0 = 0; y0 < im.height; ++y0)
    for (int x0 = 0; x0 < im.width; ++x0) {
      if (seen[y0 * im.width + x0] || im.at(x0, y0) <= 0.5f) continue;
      PixelBox b{0, 1e9, 1e9, -1e9, -1e9};
      std::vector<std::pair<int, int>> stack = {{x0, y0}};
      seen[y0 * im.width + x0] = 1;
      while (!stack.empty()) {
        auto [x, y] = stack.back();
        stack.pop_back();
        b.x1 = std::min(b.x1, double(x)), b.y1 = std::min(b.y1, double(y));
        b.x2 = std::max(b.x2, x + 1.0), b.y2 = std::max(b.y2, y + 1.0);
        const int nx[4] = {x + 1, x - 1, x, x}, ny[4] = {y, y, y + 1, y - 1};
        for (int k = 0; k < 4; ++k) {
          if (nx[k] < 0 || ny[k] < 0 || nx[k] >= im.width || ny[k] >= im.height) continue;
          char& s = seen[ny[k] * im.width + nx[k]];
          if (!s && im.at(nx[k], ny[k]) > 0.5f) s = 1, stack.push_back({nx[k], ny[k]});
        }
      }
      out.push_back(b);
    }
  return out;
}

// Every label has a blob whose edges agree within tol pixels.
void expect_labels_on_blobs(const LabelledImage& x, double tol, const std::string& what) {
  const auto found = blobs(x.image);
  for (const PixelBox& l : x.boxes) {
    bool ok = false;
    for (const PixelBox& b : found)
      ok = ok || (std::abs(b.x1 - l.x1) <= tol && std::abs(b.x2 - l.x2) <= tol && std::abs(b.y1 - l.y1) <= tol &&
                  std::abs(b.y2 - l.y2) <= tol);
    EXPECT_TRUE(ok) << what << ": label " << l.x1 << "," << l.y1 << "," << l.x2 << "," << l.y2 << " has no blob";
  }
}

}  // namespace

TEST(Augment, FlipsAndQuarterTurnsAreExact) {
  LabelledImage x = drawn(64, 64, {{0, 5, 10, 25, 18}, {0, 40, 30, 60, 62}});
  flip_lr(x);
  EXPECT_DOUBLE_EQ(x.boxes[0].x1, 39);
  expect_labels_on_blobs(x, 0, "fliplr");
  flip_ud(x);
  expect_labels_on_blobs(x, 0, "flipud");
  for (int k = 1; k <= 3; ++k) {
    rotate90(x, k);
    expect_labels_on_blobs(x, 0, "rot90 x" + std::to_string(k));
  }
  // four clockwise turns in total from the last state (1+2+3 = 6 = 2 mod 4): turn twice more -> identity
  LabelledImage y = drawn(64, 64, {{0, 5, 10, 25, 18}});
  rotate90(y, 1);
  EXPECT_DOUBLE_EQ(y.boxes[0].x1, 64 - 18);  // (x, y) -> (n - y, x)
  EXPECT_DOUBLE_EQ(y.boxes[0].y1, 5);
  rotate90(y, 3);
  EXPECT_DOUBLE_EQ(y.boxes[0].x1, 5);
  EXPECT_EQ(y.image.at(5, 10), 1.0f);
}

TEST(Augment, ZoomAndShiftMoveLabelsWithPixels) {
  AugmentConfig cfg;
  Rng rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const LabelledImage x = drawn(96, 96, {{0, 20, 30, 50, 52}, {0, 60, 10, 90, 40}});
    const LabelledImage y = random_affine(x, 96, cfg, rng);
    expect_labels_on_blobs(y, 1.0, "affine trial " + std::to_string(trial));
  }
}

TEST(Augment, LetterboxKeepsAspectAndCentres) {
  const LabelledImage x = drawn(100, 50, {{0, 10, 10, 30, 40}});
  const LabelledImage y = letterbox_square(x, 200);
  EXPECT_EQ(y.image.width, 200);
  EXPECT_NEAR(y.boxes[0].x1, 20, 1e-9);
  EXPECT_NEAR(y.boxes[0].y1, 50 + 20, 1e-9);  // 50 px of padding on top
  EXPECT_NEAR(y.image.at(100, 10), yolo::kPadGray, 1e-6);
  expect_labels_on_blobs(y, 1.0, "letterbox");
}

TEST(Augment, MosaicAndFullPipelineKeepLabelsOnPixels) {
  std::vector<LabelledImage> base;
  Rng draw(11);
  for (int i = 0; i < 5; ++i) {
    std::vector<PixelBox> boxes;
    // one box per 64-px quadrant, at least 6 px from the quadrant's edges, so blobs never touch
    for (int k = 0; k < 4; ++k) {
      const double x = 64 * (k % 2) + 6 + std::floor(draw.uniform(0, 34)), y = 64 * (k / 2) + 6 + std::floor(draw.uniform(0, 38));
      boxes.push_back({k % 2, x, y, x + 18, y + 14});
    }
    base.push_back(drawn(128, 128, boxes));
  }
  AugmentConfig cfg;
  cfg.brightness = cfg.contrast = 0;  // keep the 0.5 threshold meaningful
  Rng rng(5);
  int kept = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const LabelledImage y = augment_sample(trial % 5, 5, 128, cfg, rng, [&](int k) { return base[k]; });
    EXPECT_EQ(y.image.width, 128);
    expect_labels_on_blobs(y, 1.0, "pipeline trial " + std::to_string(trial));
    kept += static_cast<int>(y.boxes.size());
  }
  EXPECT_GT(kept, 30);
}

TEST(Augment, BoxCandidatesDropSlivers) {
  EXPECT_TRUE(box_candidate(10, 10, 10, 10));
  EXPECT_FALSE(box_candidate(10, 10, 2, 10));          // 2 px wide is not > 2
  EXPECT_FALSE(box_candidate(100, 100, 30, 30));       // 9 % of the area left
  EXPECT_TRUE(box_candidate(100, 100, 40, 30));        // 12 %
  // after clipping a 20x20 box at the edge to 1 px: dropped
  const auto kept = transform_boxes({{0, -19, 5, 1, 25}}, Affine{}, 1.0, 64, 64);
  EXPECT_TRUE(kept.empty());
}

TEST(Augment, IntensityJitterStaysInRange) {
  imgproc::Image im(8, 8, 0.9f);
  im.at(0, 0) = 0.0f;
  Rng rng(1);
  jitter_intensity(im, 0.5, 0.9, rng);
  for (float v : im.data) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }
}

// Physical-scale training takes size x size pieces of the micrograph: the labels inside move with the pixels, those
// cut by the crop edge are clipped (and dropped when less than 10 % is left), and a picture smaller than the crop is
// centred on the padding grey, never enlarged.
TEST(Augment, RandomCropsKeepLabelsOnPixels) {
  std::vector<PixelBox> boxes;
  for (int y = 10; y + 16 < 300; y += 40)
    for (int x = 12; x + 20 < 400; x += 45) boxes.push_back({0, double(x), double(y), x + 20.0, y + 16.0});
  const LabelledImage x = drawn(400, 300, boxes);
  Rng rng(9);
  size_t kept = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const LabelledImage y = random_crop(x, 128, rng);
    ASSERT_EQ(y.image.width, 128);
    ASSERT_EQ(y.image.height, 128);
    expect_labels_on_blobs(y, 0, "crop trial " + std::to_string(trial));  // integer shifts: exact
    for (const PixelBox& b : y.boxes) {
      EXPECT_GE(b.x1, 0);
      EXPECT_LE(b.x2, 128);
      EXPECT_GT((b.x2 - b.x1) * (b.y2 - b.y1), 0.1 * 20 * 16);
    }
    kept += y.boxes.size();
  }
  EXPECT_GT(kept, 20u * 6);
  const LabelledImage small = random_crop(drawn(100, 60, {{0, 10, 10, 30, 26}}), 128, rng);
  EXPECT_NEAR(small.image.at(5, 5), yolo::kPadGray, 1e-6);  // (128 - 100) / 2 = 14 px of padding on the left
  ASSERT_EQ(small.boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(small.boxes[0].x1, 10 + 14);
  EXPECT_DOUBLE_EQ(small.boxes[0].y1, 10 + 34);
  expect_labels_on_blobs(small, 0, "small picture");
}

// Marked points (loss masks) move like the pixels: each is drawn as a bright 2r x 2r square around it, and after every
// augmentation a point well inside the picture sits at the centre of a blob whose size says its radius scaled too.
TEST(Augment, MarkedPointsMoveAndScaleWithThePixels) {
  auto marked = [](uint64_t seed) {
    LabelledImage x;
    x.image = imgproc::Image(128, 128, 0.0f);
    Rng draw(seed);
    for (int k = 0; k < 4; ++k) {  // one per quadrant, 10 px squares, never touching
      const double cx = 64 * (k % 2) + 16 + std::floor(draw.uniform(0, 32)), cy = 64 * (k / 2) + 16 + std::floor(draw.uniform(0, 32));
      for (int y = int(cy) - 5; y < int(cy) + 5; ++y)
        for (int i = int(cx) - 5; i < int(cx) + 5; ++i) x.image.at(i, y) = 1.0f;
      x.points.push_back({k % 2 ? MarkKind::Excluded : MarkKind::Uncertain, cx, cy, 5.0});
    }
    return x;
  };
  auto check = [](const LabelledImage& y, double tol, const std::string& what) {
    const auto found = blobs(y.image);
    int checked = 0;
    for (const PixelPoint& p : y.points) {
      if (p.x < p.r + 2 || p.y < p.r + 2 || p.x > y.image.width - p.r - 2 || p.y > y.image.height - p.r - 2) continue;
      bool ok = false;
      for (const PixelBox& b : found)
        ok = ok || (std::abs((b.x1 + b.x2) / 2 - p.x) <= tol && std::abs((b.y1 + b.y2) / 2 - p.y) <= tol &&
                    std::abs((b.x2 - b.x1) - 2 * p.r) <= 2 * tol && std::abs((b.y2 - b.y1) - 2 * p.r) <= 2 * tol);
      EXPECT_TRUE(ok) << what << ": point " << p.x << "," << p.y << " r " << p.r << " has no blob";
      ++checked;
    }
    return checked;
  };
  LabelledImage x = marked(1);
  const std::vector<PixelPoint> before = x.points;
  flip_lr(x);
  EXPECT_EQ(x.points[0].x, 128 - before[0].x);
  check(x, 0.0, "fliplr");
  flip_ud(x);
  check(x, 0.0, "flipud");
  rotate90(x, 3);
  EXPECT_EQ(check(x, 0.0, "rot90"), 4);
  EXPECT_EQ(x.points[1].kind, MarkKind::Excluded);  // the kind travels with the point
  AugmentConfig cfg;
  cfg.brightness = cfg.contrast = 0;
  Rng rng(7);
  int checked = 0;
  for (int trial = 0; trial < 20; ++trial) {
    checked += check(random_affine(marked(trial), 128, cfg, rng), 1.0, "affine " + std::to_string(trial));
    checked += check(random_crop(marked(trial), 96, rng), 0.0, "crop " + std::to_string(trial));
    // A mosaic may cut a point's square at a tile's edge, never its centre: the point still lies on its square.
    const LabelledImage y = augment_sample(trial % 3, 3, 128, cfg, rng, [&](int k) { return marked(100 + k); });
    for (const PixelPoint& p : y.points) {
      if (p.x < 1 || p.y < 1 || p.x > 127 || p.y > 127) continue;
      EXPECT_GT(y.image.at(int(p.x), int(p.y)), 0.5f) << "pipeline " << trial << ": point " << p.x << "," << p.y;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
  // A point whose circle lies wholly outside a crop is dropped; one reaching into it is kept.
  const std::vector<PixelPoint> pts = {{MarkKind::Excluded, 10, 10, 5}, {MarkKind::Excluded, 47, 10, 5}};
  const auto kept = crop_points(pts, 50, 0, 40, 40);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].x, -3);
}
