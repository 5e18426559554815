// Simulator: determinism, the labelling rules (what is labelled, excluded, uncertain), the object catalogue,
// geometry of the labelled particles against everything else, and the FFT it uses.
#include <gtest/gtest.h>

#include <complex>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "imgproc/mrc.h"
#include "picker/evaluate.h"
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
  p.particles = 10;
  p.debris = 6;
  p.carbon_probability = 0.5;
  return p;
}

// Only clean particles (and the counts the caller sets after).
SimulationParams no_hard_negatives(SimulationParams p) {
  p.overlapping_pairs = p.aggregates = p.under_debris = p.broken = p.stacked = p.elongated = p.ice = p.filaments = 0;
  p.border_cut = p.ambiguous = p.debris = 0;
  p.carbon_probability = 0;
  return p;
}

// Every kind of object at least once per micrograph when there is room (1024 px is crowded for all of them).
SimulationParams catalogue_params(uint64_t seed) {
  SimulationParams p = small_params(seed);
  p.size = 1536;
  p.particles = 8;
  p.carbon_probability = 1.0;
  p.overlapping_pairs = p.aggregates = p.under_debris = p.broken = p.stacked = p.elongated = 1;
  p.border_cut = 4;
  p.ice = p.filaments = 1;
  p.ambiguous = 2;
  return p;
}

// Signed distance from (x, y) to a particle-like object's shape: a disc (top views, blobs, ice) or a rotated
// rectangle (side views), written from the shape definitions in simulate.h, not from the layout's code.
double signed_distance(const SimObject& o, double x, double y) {
  const double dx = x - o.box.x, dy = y - o.box.y;
  if (o.box.cls == 1 && o.length_px > 0 && o.kind != ObjectKind::Debris && o.kind != ObjectKind::Ice) {
    const double c = std::cos(o.angle_rad), s = std::sin(o.angle_rad);
    const double u = std::fabs(dx * c + dy * s) - object_reach(o), v = std::fabs(-dx * s + dy * c) - o.length_px / 2;
    return std::hypot(std::max(u, 0.0), std::max(v, 0.0)) + std::min(std::max(u, v), 0.0);
  }
  return std::hypot(dx, dy) - object_reach(o);
}

// Points on the outline of an object (every ~2 px); a filament's or carbon edge's outline is its path's discs.
std::vector<std::pair<double, double>> outline(const SimObject& o) {
  std::vector<std::pair<double, double>> pts;
  auto disc = [&](double cx, double cy, double r) {
    const int n = std::max(8, int(2 * M_PI * r / 2));
    for (int i = 0; i < n; ++i) pts.emplace_back(cx + r * std::cos(2 * M_PI * i / n), cy + r * std::sin(2 * M_PI * i / n));
  };
  if (o.kind == ObjectKind::Filament) {
    for (const auto& [x, y] : o.path) disc(x, y, o.radius_px);
  } else if (o.kind == ObjectKind::CarbonEdge) {
    pts = o.path;
  } else if (o.box.cls == 1 && o.length_px > 0) {
    const double c = std::cos(o.angle_rad), s = std::sin(o.angle_rad), a = object_reach(o), b = o.length_px / 2;
    for (double t = -1; t <= 1; t += 2.0 / std::max(a, b)) {
      for (double su : {-1.0, 1.0}) pts.emplace_back(o.box.x + su * a * c - t * b * s, o.box.y + su * a * s + t * b * c);
      for (double sv : {-1.0, 1.0}) pts.emplace_back(o.box.x + t * a * c - sv * b * s, o.box.y + t * a * s + sv * b * c);
    }
  } else {
    disc(o.box.x, o.box.y, object_reach(o));
  }
  return pts;
}

bool near_any(const std::vector<MarkedPosition>& marks, double x, double y, double r) {
  for (const MarkedPosition& m : marks)
    if (std::hypot(m.x - x, m.y - y) <= r) return true;
  return false;
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
  SimulationParams p = small_params(5);
  p.processed_probability = 1.0;  // the processed look too
  const SimulatedMicrograph a = simulate_micrograph(p, 0);
  const SimulatedMicrograph b = simulate_micrograph(p, 0);
  p.seed = 6;
  const SimulatedMicrograph c = simulate_micrograph(p, 0);
  EXPECT_FALSE(a.processed.empty());
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_EQ(a.to_grey(), b.to_grey());
  EXPECT_NE(a.counts, c.counts);
  // Micrographs of one run are independent: no shared layout between index 0 and index 2.
  p.seed = 5;
  const SimulatedMicrograph a2 = simulate_micrograph(p, 2);
  for (const SimObject& o : a.objects)
    for (const SimObject& o2 : a2.objects) {
      if (o.kind == ObjectKind::CarbonEdge) continue;
      EXPECT_GT(std::hypot(o.box.x - o2.box.x, o.box.y - o2.box.y), 1e-6);
    }
  const std::string d1 = (std::filesystem::temp_directory_path() / "yp_sim_det1").string();
  const std::string d2 = (std::filesystem::temp_directory_path() / "yp_sim_det2").string();
  write_simulated(d1, "m", a, SimImages::Both);
  write_simulated(d2, "m", b, SimImages::Both);
  for (const char* f : {"m.mrc", "m.png", "m.txt", "m.star", "m.excluded.txt", "m.uncertain.txt", "m_labels.csv"})
    EXPECT_EQ(yp::read_text_file(d1 + "/" + f), yp::read_text_file(d2 + "/" + f)) << f;
}

TEST(Simulator, LabelledParticlesObeyTheLabellingRules) {
  // README of the real labels: label intact particles only; none overlapped (a halo apart from everything),
  // none cut by the border by more than ~30 %, none longer than 1.5x; boxes clipped to the image.
  int labelled = 0, cut_labelled = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const SimulationParams p = seed <= 2 ? small_params(seed) : catalogue_params(seed);
    const SimulatedMicrograph m = simulate_micrograph(p, 1);
    const KlhGeometry g = KlhGeometry::from_pixel_size(p.pixel_A);
    for (const SimObject& a : m.objects) {
      if (!a.pick()) continue;
      ++labelled;
      cut_labelled += a.cut_fraction > 0.01;
      EXPECT_EQ(a.kind, ObjectKind::Particle);
      EXPECT_LE(a.cut_fraction, 0.25);
      EXPECT_GT(a.contrast, 0.25);
      EXPECT_LT(a.damage, 0);
      if (a.box.cls == 1) {
        EXPECT_LE(a.length_px, 1.05 * g.length_px);
      }
      EXPECT_GE(a.box.x - a.box.w / 2, -0.5 - 1e-9);
      EXPECT_GE(a.box.y - a.box.h / 2, -0.5 - 1e-9);
      EXPECT_LE(a.box.x + a.box.w / 2, p.size - 0.5 + 1e-9);
      EXPECT_LE(a.box.y + a.box.h / 2, p.size - 0.5 + 1e-9);
      for (const SimObject& b : m.objects) {
        if (&a == &b) continue;
        for (const auto& [x, y] : outline(b))
          ASSERT_GE(signed_distance(a, x, y), p.min_gap_px - 1.0)
              << object_kind_name(b.kind) << " too close to a labelled particle, seed " << seed;
        if (b.kind != ObjectKind::CarbonEdge && b.kind != ObjectKind::Filament) {
          for (const auto& [x, y] : outline(a)) ASSERT_GE(signed_distance(b, x, y), p.min_gap_px - 1.0);
        }
      }
    }
    const auto picks = std::count_if(m.objects.begin(), m.objects.end(), [](const SimObject& o) { return o.pick(); });
    EXPECT_EQ(m.truth("m").picks.size(), size_t(picks));
  }
  EXPECT_GE(labelled, 20);
  EXPECT_GE(cut_labelled, 1) << "no particle slightly cut by the border was labelled (clipped box)";
}

TEST(Simulator, EveryNotToPickObjectIsWrittenAsExcluded) {
  std::set<ObjectKind> seen_excluded, seen_uncertain;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const SimulationParams p = catalogue_params(seed);
    const SimulatedMicrograph m = simulate_micrograph(p, 0);
    const std::string d = (std::filesystem::temp_directory_path() / ("yp_sim_marks" + std::to_string(seed))).string();
    write_simulated(d, "m", m);
    const std::vector<MarkedPosition> excluded = read_marked_positions(d + "/m.excluded.txt");
    const std::vector<MarkedPosition> uncertain = read_marked_positions(d + "/m.uncertain.txt");
    const MicrographPicks truth = m.truth("m");
    for (const SimObject& o : m.objects) {
      if (o.pick()) continue;
      const std::vector<MarkedPosition>& marks = o.rule == LabelRule::Exclude ? excluded : uncertain;
      (o.rule == LabelRule::Exclude ? seen_excluded : seen_uncertain).insert(o.kind);
      // A mark on the object (a point of it, a point along it, or the centroid of its visible part).
      bool marked = false;
      if (o.path.empty())
        for (const MarkedPosition& mk : marks) marked = marked || signed_distance(o, mk.x, mk.y) <= 0;
      for (const auto& [x, y] : o.path) marked = marked || near_any(marks, x, y, 1.0);
      EXPECT_TRUE(marked) << object_kind_name(o.kind) << " at " << o.box.x << "," << o.box.y << " is not in "
                          << label_rule_name(o.rule) << ".txt, seed " << seed;
      // Never in the truth: no labelled box is centred on it.
      for (const Pick& t : truth.picks) EXPECT_GT(std::hypot(t.x - o.box.x, t.y - o.box.y), 1.0);
    }
    for (const MarkedPosition& mk : excluded) EXPECT_FALSE(mk.note.empty());
  }
  for (ObjectKind k : {ObjectKind::Overlapping, ObjectKind::Aggregate, ObjectKind::UnderDebris, ObjectKind::Broken,
                       ObjectKind::Stacked, ObjectKind::Elongated, ObjectKind::BorderCut, ObjectKind::Debris, ObjectKind::Ice,
                       ObjectKind::Filament, ObjectKind::CarbonEdge})
    EXPECT_TRUE(seen_excluded.count(k)) << object_kind_name(k) << " never appeared as excluded";
  EXPECT_TRUE(seen_uncertain.count(ObjectKind::Faint) || seen_uncertain.count(ObjectKind::Chipped));
}

TEST(Simulator, BorderCutsAreClassifiedByTheShareCutOff) {
  SimulationParams p = no_hard_negatives(small_params(3));
  p.particles = 0;
  p.border_cut = 12;
  std::map<LabelRule, int> count;
  for (int i = 0; i < 3; ++i)
    for (const SimObject& o : simulate_micrograph(p, i).objects) {
      ++count[o.rule];
      const LabelRule expected =
          o.cut_fraction > 0.35 ? LabelRule::Exclude : o.cut_fraction > 0.25 ? LabelRule::Uncertain : LabelRule::Pick;
      EXPECT_EQ(o.rule, expected) << o.cut_fraction;
    }
  EXPECT_GE(count[LabelRule::Exclude], 3);
  EXPECT_GE(count[LabelRule::Pick], 3);
}

TEST(Simulator, SideViewsAtEveryInPlaneAngle) {
  SimulationParams p = no_hard_negatives(small_params(8));
  p.side_fraction = 1.0;
  p.particles = 20;
  int bins[8] = {0};
  for (int i = 0; i < 4; ++i)
    for (const SimObject& o : simulate_micrograph(p, i).objects)
      if (o.box.cls == 1 && o.kind == ObjectKind::Particle)
        ++bins[int(std::fmod(std::fmod(o.angle_rad, M_PI) + M_PI, M_PI) / M_PI * 8) % 8];
  for (int b = 0; b < 8; ++b) EXPECT_GE(bins[b], 1) << "no side view between " << b * 22.5 << " and " << (b + 1) * 22.5 << " deg";
}

TEST(Simulator, PicksOnExcludedObjectsScoreAsHardNegatives) {
  // The simulator's files and the evaluation speak the same language: the truth picked perfectly plus one pick
  // on every excluded position gives recall 1 and exactly that many hard negatives.
  const SimulatedMicrograph m = simulate_micrograph(catalogue_params(2), 0);
  MicrographPair mp;
  mp.name = "m";
  mp.truth = m.truth("m").picks;
  mp.preds = mp.truth;
  mp.excluded = m.marked(LabelRule::Exclude);
  mp.uncertain = m.marked(LabelRule::Uncertain);
  for (const MarkedPosition& e : mp.excluded) mp.preds.push_back(Pick{e.x, e.y, 146, 146, 0, 0.9});
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("iou:0.5"), 0.5);
  EXPECT_NEAR(r.overall.recall, 1.0, 1e-12);
  EXPECT_EQ(r.overall.tp, int(mp.truth.size()));
  EXPECT_EQ(r.overall.hard_negatives, int(mp.excluded.size()));
}

TEST(Simulator, NonPowerOfTwoSizeIsPadded) {
  SimulationParams p = no_hard_negatives(small_params(2));
  p.size = 300;
  p.particles = 1;
  const SimulatedMicrograph m = simulate_micrograph(p, 0);
  EXPECT_EQ(m.counts.size(), 300u * 300u);
  double mean = 0;
  for (float c : m.counts) mean += c;
  EXPECT_NEAR(mean / m.counts.size() / m.mean_counts, 1.0, 0.1);
}

// The micrograph arrives as a detector's would: an MRC of float counts whose header states the pixel size; the PNG
// only on request.
TEST(Simulator, WritesMrcWithItsPixelSizeAndPngOnRequest) {
  SimulationParams p = small_params(9);
  p.pixel_A = 3.1;
  const SimulatedMicrograph m = simulate_micrograph(p, 0);
  const std::string d = (std::filesystem::temp_directory_path() / "yp_sim_mrc").string();
  std::filesystem::remove_all(d);
  write_simulated(d, "m", m);
  EXPECT_FALSE(std::filesystem::exists(d + "/m.png"));
  const yp::imgproc::MrcImage mrc = yp::imgproc::read_mrc(d + "/m.mrc");
  EXPECT_NEAR(mrc.info.pixel_size, 3.1, 1e-5);
  ASSERT_EQ(mrc.image.width, m.size);
  ASSERT_EQ(mrc.image.height, m.size);
  EXPECT_EQ(mrc.image.data, m.counts);
  write_simulated(d, "p", m, SimImages::Png);
  EXPECT_TRUE(std::filesystem::exists(d + "/p.png"));
  EXPECT_FALSE(std::filesystem::exists(d + "/p.mrc"));
  std::filesystem::remove_all(d);
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
  EXPECT_EQ(read_marked_positions(d + "/m.excluded.txt").size(), m.marked(LabelRule::Exclude).size());
}
