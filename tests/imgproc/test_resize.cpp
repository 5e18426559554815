// test_resize.cpp: bicubic resize against a NumPy transcription of imresize (golden), integer-factor
// identities and binning.
#include <gtest/gtest.h>

#include "imgproc/resize.h"
#include "tests/imgproc/golden.h"

using namespace yp::imgproc;
using yp::test::images_close;
using yp::test::load_golden;

TEST(Resize, MatchesImresizeShrinkWithAntialiasing) {
  const Image in = load_golden("input_96x80");
  EXPECT_TRUE(images_close(resize_bicubic(in, 48, 40, true), load_golden("resize_96x80_to_48x40_aa"), 2e-6));
}

TEST(Resize, MatchesImresizeShrinkWithoutAntialiasing) {
  const Image in = load_golden("input_96x80");
  EXPECT_TRUE(images_close(resize_bicubic(in, 48, 40, false), load_golden("resize_96x80_to_48x40_noaa"), 2e-6));
}

TEST(Resize, MatchesImresizeEnlargeOddSizes) {
  const Image in = load_golden("input_45x37");
  EXPECT_TRUE(images_close(resize_bicubic(in, 100, 70), load_golden("resize_45x37_to_100x70"), 2e-6));
}

TEST(Resize, MatchesImresizeMixedScales) {
  const Image in = load_golden("input_96x80");
  EXPECT_TRUE(images_close(resize_bicubic(in, 30, 50), load_golden("resize_96x80_to_30x50"), 2e-6));
}

TEST(Resize, SameSizeIsIdentityAndConstantStaysConstant) {
  const Image in = yp::test::random_image(33, 21, 7);
  EXPECT_TRUE(images_close(resize_bicubic(in, 33, 21), in, 0));
  const Image flat(50, 40, 3.25f);
  EXPECT_TRUE(images_close(resize_bicubic(flat, 17, 23), Image(17, 23, 3.25f), 1e-5));
}

TEST(Resize, TapsSumToOneAndStayInside) {
  for (bool aa : {true, false}) {
    const ResizeTaps t = bicubic_taps(97, 31, aa);
    for (int o = 0; o < 31; ++o) {
      double sum = 0;
      for (int k = 0; k < t.taps; ++k) {
        sum += t.weight[(size_t)o * t.taps + k];
        ASSERT_GE(t.index[(size_t)o * t.taps + k], 0);
        ASSERT_LT(t.index[(size_t)o * t.taps + k], 97);
      }
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
  }
}

TEST(Bin, AveragesBlocksAndDropsRemainder) {
  Image in(5, 4);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) in.at(x, y) = (float)(10 * y + x);
  const Image out = bin(in, 2);
  ASSERT_EQ(out.width, 2);
  ASSERT_EQ(out.height, 2);
  EXPECT_FLOAT_EQ(out.at(0, 0), (0 + 1 + 10 + 11) / 4.f);
  EXPECT_FLOAT_EQ(out.at(1, 1), (22 + 23 + 32 + 33) / 4.f);
  EXPECT_THROW(bin(in, 0), yp::Error);
  EXPECT_THROW(bin(in, 6), yp::Error);
}
