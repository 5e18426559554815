// Centres from disk masks: exact EDT by brute force, synthetic disks, touching disks.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/random.h"
#include "train/mask_centres.h"

using namespace yp;
using namespace yp::train;

TEST(MaskCentres, DistanceTransformIsExact) {
  Rng rng(5);
  const int w = 23, h = 17;
  std::vector<uint8_t> inside((size_t)w * h);
  for (auto& v : inside) v = rng.uniform() < 0.85;
  const auto d2 = distance_transform_sq(inside, w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float best = inside[(size_t)y * w + x] ? 1e30f : 0.0f;
      for (int yy = 0; yy < h; ++yy)
        for (int xx = 0; xx < w; ++xx)
          if (!inside[(size_t)yy * w + xx]) best = std::min(best, (float)((x - xx) * (x - xx) + (y - yy) * (y - yy)));
      ASSERT_EQ(d2[(size_t)y * w + x], best) << x << "," << y;
    }
}

TEST(MaskCentres, RecoversDiskCentresIncludingTouchingDisks) {
  const int w = 400, h = 300;
  const double radius = 20;
  const std::vector<std::pair<int, int>> truth = {{50, 50}, {150, 60}, {188, 60} /* overlaps the previous */,
                                                  {300, 200}, {100, 240}};
  std::vector<uint8_t> mask((size_t)w * h, 0);
  for (auto [cx, cy] : truth)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) mask[(size_t)y * w + x] = 255;
  MaskCentreParams p;
  p.radius = radius;
  p.window = 11;
  p.min_edt_fraction = 0.6;
  const auto found = mask_centres(mask.data(), w, h, p);
  ASSERT_EQ(found.size(), truth.size());
  for (auto [cx, cy] : truth) {
    double best = 1e9;
    for (const auto& c : found) best = std::min(best, std::hypot(c.x - cx, c.y - cy));
    EXPECT_LE(best, 1.0) << "centre " << cx << "," << cy;
  }
}

TEST(MaskCentres, EmptyMaskHasNoCentres) {
  std::vector<uint8_t> mask(64 * 64, 0);
  EXPECT_TRUE(mask_centres(mask.data(), 64, 64, MaskCentreParams{}).empty());
}
