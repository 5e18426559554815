// Simulator: determinism, labels inside the image, minimum spacing, not-to-pick separation, FFT correctness.
#include <gtest/gtest.h>

#include <complex>
#include <filesystem>
#include <random>

#include "picker/fft.h"
#include "picker/formats_text.h"
#include "picker/simulate.h"
#include "util/error.h"
#include "util/text.h"

using namespace yp::picker;

namespace {
SimulationParams small_params(uint64_t seed) {
  SimulationParams p;
  p.size = 1024;
  p.seed = seed;
  p.particles = 12;
  p.debris = 10;
  p.carbon_probability = 1.0;
  p.aggregates = 0;  // the big group needs more room than 1024 px leaves beside the carbon
  return p;
}
}  // namespace

TEST(Fft, MatchesNaiveDftAndInverts) {
  std::mt19937 g(1);
  std::normal_distribution<double> n;
  const size_t N = 64;
  std::vector<std::complex<double>> x(N), X(N);
  for (auto& v : x) v = {n(g), n(g)};
  X = x;
  fft_inplace(X.data(), N, false);
  for (size_t k = 0; k < N; ++k) {
    std::complex<double> s = 0;
    for (size_t j = 0; j < N; ++j) s += x[j] * std::polar(1.0, -2 * M_PI * double(k * j) / N);
    ASSERT_LT(std::abs(s - X[k]), 1e-10);
  }
  fft_inplace(X.data(), N, true);
  for (size_t j = 0; j < N; ++j) ASSERT_LT(std::abs(X[j] - x[j]), 1e-12);
  EXPECT_THROW(fft_inplace(X.data(), 48, false), yp::Error);
}

TEST(Simulator, SameSeedSameBytesOtherSeedDiffers) {
  const SimulatedMicrograph a = simulate_micrograph(small_params(5), 0);
  const SimulatedMicrograph b = simulate_micrograph(small_params(5), 0);
  const SimulatedMicrograph c = simulate_micrograph(small_params(6), 0);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.to_grey(), b.to_grey());
  EXPECT_NE(a.counts, c.counts);
  // Micrographs of one run are independent: no shared layout between index 0 and index 2.
  const SimulatedMicrograph a2 = simulate_micrograph(small_params(5), 2);
  for (const SimObject& o : a.objects)
    for (const SimObject& o2 : a2.objects) EXPECT_GT(std::hypot(o.box.x - o2.box.x, o.box.y - o2.box.y), 1e-6);
  const std::string d1 = (std::filesystem::temp_directory_path() / "yp_sim_det1").string();
  const std::string d2 = (std::filesystem::temp_directory_path() / "yp_sim_det2").string();
  write_simulated(d1, "m", a);
  write_simulated(d2, "m", b);
  for (const char* f : {"m.png", "m.txt", "m.star", "m_labels.csv"})
    EXPECT_EQ(yp::read_text_file(d1 + "/" + f), yp::read_text_file(d2 + "/" + f)) << f;
}

TEST(Simulator, LabelsInsideImageSpacedAndSeparated) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const SimulationParams p = small_params(seed);
    const SimulatedMicrograph m = simulate_micrograph(p, 1);
    const KlhGeometry g = KlhGeometry::from_pixel_size(p.pixel_A);
    int clean = 0, other = 0;
    for (const SimObject& o : m.objects) {
      EXPECT_GE(o.box.x - o.box.w / 2, 0);
      EXPECT_GE(o.box.y - o.box.h / 2, 0);
      EXPECT_LE(o.box.x + o.box.w / 2, p.size - 1);
      EXPECT_LE(o.box.y + o.box.h / 2, p.size - 1);
      if (o.kind == ObjectKind::Stacked) {
        EXPECT_GT(o.length_px, 1.5 * g.length_px);
      }
      (o.pick() ? clean : other)++;
    }
    EXPECT_GE(clean, 4);
    EXPECT_GE(other, 3);
    const MicrographPicks truth = m.truth("m");
    EXPECT_EQ(int(truth.picks.size()), clean);  // not-to-pick objects never reach the truth
    for (size_t i = 0; i < truth.picks.size(); ++i)
      for (size_t j = i + 1; j < truth.picks.size(); ++j)
        EXPECT_GE(std::hypot(truth.picks[i].x - truth.picks[j].x, truth.picks[i].y - truth.picks[j].y), 1.1 * g.diameter_px);
    // A clean particle is clear of every not-to-pick object (bounding circles do not touch).
    for (const SimObject& a : m.objects)
      for (const SimObject& b : m.objects)
        if (a.pick() && !b.pick()) {
          EXPECT_GT(std::hypot(a.box.x - b.box.x, a.box.y - b.box.y), g.diameter_px);
        }
  }
}

TEST(Simulator, NonPowerOfTwoSizeIsPadded) {
  SimulationParams p = small_params(2);
  p.size = 300;
  p.particles = 1;
  p.overlapping_pairs = p.under_debris = p.damaged = p.stacked = 0;
  const SimulatedMicrograph m = simulate_micrograph(p, 0);
  EXPECT_EQ(m.counts.size(), 300u * 300u);
  double mean = 0;
  for (float c : m.counts) mean += c;
  EXPECT_NEAR(mean / m.counts.size() / m.mean_counts, 1.0, 0.1);
}

TEST(Simulator, WrittenLabelsMatchObjects) {
  const SimulatedMicrograph m = simulate_micrograph(small_params(9), 0);
  const std::string d = (std::filesystem::temp_directory_path() / "yp_sim_labels").string();
  write_simulated(d, "m", m);
  const MicrographPicks txt = read_yolo_txt(d + "/m.txt", m.size, m.size);
  const MicrographPicks truth = m.truth("m");
  ASSERT_EQ(txt.picks.size(), truth.picks.size());
  for (size_t i = 0; i < txt.picks.size(); ++i) EXPECT_NEAR(txt.picks[i].x, truth.picks[i].x, 1e-2);
  const std::string labels = yp::read_text_file(d + "/m_labels.csv");
  EXPECT_EQ(size_t(std::count(labels.begin(), labels.end(), '\n')), m.objects.size() + 1);
}
