// test_wiener.cpp: wiener2 against scipy.signal.wiener (golden), and its properties.
#include <gtest/gtest.h>

#include <cmath>

#include "imgproc/wiener.h"
#include "tests/imgproc/golden.h"

using namespace yp::imgproc;
using yp::test::images_close;
using yp::test::load_golden;

TEST(Wiener, MatchesScipy9x9) {
  EXPECT_TRUE(images_close(wiener2(load_golden("input_64x64"), 9, 9).image, load_golden("wiener_64x64_9x9"), 1e-5));
}

TEST(Wiener, MatchesScipyRectangularWindow) {
  // scipy's mysize is (rows, cols) = (5, 3).
  EXPECT_TRUE(images_close(wiener2(load_golden("input_96x80"), 5, 3).image, load_golden("wiener_96x80_5x3"), 1e-5));
}

TEST(Wiener, MatchesScipyGivenNoise) {
  const WienerResult r = wiener2(load_golden("input_96x80"), 9, 9, 0.01);
  EXPECT_DOUBLE_EQ(r.noise, 0.01);
  EXPECT_TRUE(images_close(r.image, load_golden("wiener_96x80_9x9_noise0.01"), 1e-5));
}

TEST(Wiener, NoiseFreeRampIsUnchangedAwayFromTheZeroPadding) {
  // Inside, the local mean of a linear ramp over a symmetric window is the centre value, so whatever the
  // gain, out = mu + gain (g - mu) = g. Within 4 pixels of the border the zero padding pulls mu down.
  Image ramp(40, 30);
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 40; ++x) ramp.at(x, y) = 0.5f + 0.01f * x + 0.02f * y;
  const WienerResult r = wiener2(ramp, 9, 9);
  EXPECT_GT(r.noise, 0);
  for (int y = 4; y < 26; ++y)
    for (int x = 4; x < 36; ++x) ASSERT_NEAR(r.image.at(x, y), ramp.at(x, y), 1e-5) << x << "," << y;
  EXPECT_GT(std::fabs(r.image.at(0, 0) - ramp.at(0, 0)), 0.01);  // the documented wiener2 border effect
  // With noise 0 the gain is 1 wherever there is variance: the whole ramp comes back.
  EXPECT_TRUE(images_close(wiener2(ramp, 9, 9, 0.0).image, ramp, 1e-5));
}

TEST(Wiener, ConstantInteriorStaysConstant) {
  const Image flat(40, 40, 2.f);
  const Image out = wiener2(flat, 9, 9).image;
  for (int y = 4; y < 36; ++y)
    for (int x = 4; x < 36; ++x) ASSERT_NEAR(out.at(x, y), 2.f, 1e-5);
}

TEST(Wiener, CostDoesNotDependOnTheWindowButResultDoes) {
  const Image in = yp::test::random_image(50, 50, 5);
  const Image a = wiener2(in, 3, 3).image, b = wiener2(in, 21, 21).image;
  EXPECT_FALSE(images_close(a, b, 1e-3));
  EXPECT_THROW(wiener2(in, 0, 3), yp::Error);
}
