// test_chain.cpp: normalisation, the whole chain (switches, defaults = the study's), config text round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "imgproc/chain.h"
#include "imgproc/normalize.h"
#include "tests/imgproc/golden.h"

using namespace yp::imgproc;

TEST(Normalize, PercentilesInterpolateLikeNumpy) {
  Image img(5, 1);
  img.data = {4, 0, 3, 1, 2};
  EXPECT_DOUBLE_EQ(percentile(img, 0), 0);
  EXPECT_DOUBLE_EQ(percentile(img, 100), 4);
  EXPECT_DOUBLE_EQ(percentile(img, 50), 2);
  EXPECT_NEAR(percentile(img, 10), 0.4, 1e-12);  // numpy.percentile([0,1,2,3,4], 10) = 0.4
  const Image n = normalize(img, 0, 100);
  EXPECT_FLOAT_EQ(n.data[0], 1.f);
  EXPECT_FLOAT_EQ(n.data[3], 0.25f);
}

TEST(Normalize, PercentilesAreExactOrderStatistics) {
  // Against a full sort, on values with ties and a heavy tail (the histogram-guided selection's hard case).
  Image img = yp::test::random_image(101, 99, 4);
  for (size_t i = 0; i < img.size(); i += 7) img.data[i] = 0.5f;
  img.data[17] = 1e4f;
  std::vector<float> sorted(img.data);
  std::sort(sorted.begin(), sorted.end());
  for (double p : {0.0, 0.1, 1.0, 37.5, 50.0, 99.9, 100.0}) {
    const double pos = p / 100 * (double)(sorted.size() - 1);
    const size_t i = (size_t)pos;
    const double ref = i + 1 < sorted.size() ? sorted[i] + (pos - (double)i) * (sorted[i + 1] - sorted[i]) : sorted[i];
    EXPECT_NEAR(percentile(img, p), ref, 1e-9 * std::max(1.0, std::fabs(ref))) << "p " << p;
  }
}

TEST(Normalize, ClampsOutliersAndHandlesConstants) {
  Image img(1000, 1);
  for (int i = 0; i < 1000; ++i) img.data[(size_t)i] = (float)i;
  img.data[999] = 1e6f;
  const Image n = normalize(img, 0.1, 99.9);
  EXPECT_FLOAT_EQ(n.data[999], 1.f);
  EXPECT_FLOAT_EQ(n.data[0], 0.f);
  for (float v : normalize(Image(4, 4, 7.f)).data) EXPECT_FLOAT_EQ(v, 0.5f);
}

TEST(Chain, DefaultsAreTheStudys) {
  const ChainConfig c;
  EXPECT_EQ(c.width, 1024);
  EXPECT_EQ(c.wavelet_levels, 2);
  EXPECT_EQ(c.wiener_rows, 9);
  EXPECT_EQ(c.clahe_options.tiles_x, 4);
  EXPECT_DOUBLE_EQ(c.clahe_options.clip_limit, 0.01);
  EXPECT_EQ(steps_text(c), "resize,wavelet,wiener,clahe,normalize");
}

TEST(Chain, RunsEveryStepAndSpreadsTheHistogram) {
  ChainConfig c;
  c.width = 48, c.height = 40;
  const Image in = yp::test::load_golden("input_96x80");
  ChainTimings t;
  const Image out = run_chain(in, c, &t);
  ASSERT_EQ(out.width, 48);
  ASSERT_EQ(out.height, 40);
  float lo = 1, hi = 0;
  for (float v : out.data) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_FLOAT_EQ(lo, 0.f);
  EXPECT_FLOAT_EQ(hi, 1.f);
  EXPECT_GT(t.wavelet, 0);
}

TEST(Chain, ConstantImageStaysConstantWithoutNormalisation) {
  // Resize and wavelet keep a constant exactly; wiener2's zero padding bends the 4-pixel border.
  ChainConfig c;
  c.width = 32, c.height = 32;
  c.clahe = c.normalize = false;
  const Image out = run_chain(Image(64, 64, 0.4f), c);
  for (int y = 4; y < 28; ++y)
    for (int x = 4; x < 28; ++x) ASSERT_NEAR(out.at(x, y), 0.4f, 1e-5);
  c.wiener = false;
  for (float v : run_chain(Image(64, 64, 0.4f), c).data) ASSERT_NEAR(v, 0.4f, 1e-5);
}

TEST(Chain, NoStepsIsIdentity) {
  ChainConfig c;
  set_steps(c, "none");
  const Image in = yp::test::random_image(9, 7, 2);
  EXPECT_TRUE(yp::test::images_close(run_chain(in, c), in, 0));
  EXPECT_THROW(set_steps(c, "resize,sharpen"), yp::Error);
}

TEST(Chain, ConfigTextRoundTrip) {
  ChainConfig c;
  set_steps(c, "resize,wiener,normalize");
  c.bin_factor = 2;
  c.wavelet_action = DetailAction::SoftThreshold;
  c.wavelet_suppress_levels = {1};
  c.wiener_noise = 0.125;
  c.clahe_options.distribution = ClaheDistribution::Rayleigh;
  c.clahe_options.clip_limit = 0.02;
  c.high_percentile = 99.5;
  const std::string text = to_text(c);
  const ChainConfig d = chain_config_from_text(text);
  EXPECT_EQ(to_text(d), text);
  EXPECT_FALSE(d.wavelet);
  EXPECT_EQ(d.wavelet_suppress_levels, std::vector<int>{1});
  EXPECT_THROW(chain_config_from_text("wiener.rows = nine"), yp::Error);
  EXPECT_THROW(chain_config_from_text("colour = blue"), yp::Error);
}

// Settings their step would reject are refused when the text is read, naming the setting, so a model file
// storing one fails at load instead of once per micrograph; a switched-off step's settings are not checked.
TEST(Chain, ConfigTextRefusesSettingsNoStepCouldRun) {
  const auto message = [](const std::string& text) {
    try {
      chain_config_from_text(text);
    } catch (const yp::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("clahe.tiles_x = 0").find("clahe tiles 0x4"), std::string::npos);
  EXPECT_NE(message("wiener.rows = 0").find("wiener window 0x9"), std::string::npos);
  EXPECT_NE(message("normalize.low = 99.95").find("normalize needs"), std::string::npos);
  EXPECT_NE(message("wavelet.levels = 0").find("wavelet.levels"), std::string::npos);
  EXPECT_NE(message("clahe.clip = 2").find("clahe.clip"), std::string::npos);
  EXPECT_NE(message("resize.width = -5").find("resize size"), std::string::npos);
  EXPECT_EQ(message("steps = resize,wiener\nclahe.tiles_x = 0"), "accepted");
}
