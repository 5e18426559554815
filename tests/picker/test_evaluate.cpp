// Hungarian assignment against brute force; evaluation on hand-made cases with known P/R/F1/AP.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include <filesystem>


#include "imgproc/image_io.h"
#include "picker/evaluate.h"
#include "picker/plot.h"
#include "tensor/tensor.h"

using namespace yp::picker;

namespace {

// Minimum total cost over all assignments of min(rows, cols) pairs, by enumerating permutations.
double brute_force_min_cost(const std::vector<double>& c, int rows, int cols) {
  const bool t = rows > cols;
  const int n = t ? cols : rows, m = t ? rows : cols;
  auto at = [&](int i, int j) { return t ? c[size_t(j) * cols + i] : c[size_t(i) * cols + j]; };
  std::vector<int> perm(m);
  std::iota(perm.begin(), perm.end(), 0);
  double best = 1e300;
  do {
    double s = 0;
    for (int i = 0; i < n; ++i) s += at(i, perm[i]);
    best = std::min(best, s);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

Pick at(double x, double y, double conf = 1.0, int cls = 0, double size = 20) { return Pick{x, y, size, size, cls, conf}; }

}  // namespace

TEST(Hungarian, MatchesBruteForceOnRandomRectangularMatrices) {
  std::mt19937 g(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + g() % 6, cols = 1 + g() % 6;
    std::vector<double> c(size_t(rows) * cols);
    for (double& v : c) v = (g() % 1000) / 10.0;
    const std::vector<int> a = hungarian_assign(c, rows, cols);
    double s = 0;
    std::vector<int> used(cols, 0);
    int assigned = 0;
    for (int i = 0; i < rows; ++i)
      if (a[i] >= 0) {
        ASSERT_EQ(used[a[i]]++, 0) << "column assigned twice";
        s += c[size_t(i) * cols + a[i]];
        ++assigned;
      }
    ASSERT_EQ(assigned, std::min(rows, cols));
    ASSERT_NEAR(s, brute_force_min_cost(c, rows, cols), 1e-9) << "trial " << trial;
  }
}

TEST(Matching, MaximisesMatchesThenMinimisesDistance) {
  // Greedy nearest-first would give p1 to A (tie) and leave B; the maximum matching has 2 pairs.
  const std::vector<Pick> truth = {at(0, 0), at(10, 0)};
  const std::vector<Pick> preds = {at(5, 0), at(-5, 0)};
  const std::vector<int> m = match_picks(truth, preds, parse_match_rule("dist:6"));
  EXPECT_EQ(m[0], 1);
  EXPECT_EQ(m[1], 0);
}

TEST(Matching, AgreesWithBruteForceOnRandomPicks) {
  std::mt19937 g(11);
  std::uniform_real_distribution<double> u(0, 60);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Pick> truth, preds;
    const int nt = g() % 6, np = g() % 6;
    for (int i = 0; i < nt; ++i) truth.push_back(at(u(g), u(g)));
    for (int i = 0; i < np; ++i) preds.push_back(at(u(g), u(g)));
    const double R = 12;
    const std::vector<int> m = match_picks(truth, preds, parse_match_rule("dist:12"));
    int count = 0;
    double cost = 0;
    for (int p = 0; p < np; ++p)
      if (m[p] >= 0) {
        const double d = std::hypot(preds[p].x - truth[m[p]].x, preds[p].y - truth[m[p]].y);
        ASSERT_LE(d, R);
        ++count;
        cost += d;
      }
    // Brute force over all injective partial maps pred -> truth (or none).
    int best_count = 0;
    double best_cost = 0;
    std::vector<int> choice(np, -1);
    std::function<void(int, std::vector<char>&, int, double)> rec = [&](int p, std::vector<char>& used, int c, double s) {
      if (p == np) {
        if (c > best_count || (c == best_count && s < best_cost)) best_count = c, best_cost = s;
        return;
      }
      rec(p + 1, used, c, s);
      for (int t = 0; t < nt; ++t) {
        const double d = std::hypot(preds[p].x - truth[t].x, preds[p].y - truth[t].y);
        if (used[t] || d > R) continue;
        used[t] = 1;
        rec(p + 1, used, c + 1, s + d);
        used[t] = 0;
      }
    };
    std::vector<char> used(nt, 0);
    rec(0, used, 0, 0.0);
    ASSERT_EQ(count, best_count) << "trial " << trial;
    ASSERT_NEAR(cost, best_cost, 1e-9) << "trial " << trial;
  }
}

TEST(Matching, IouRuleUsesBoxes) {
  const std::vector<Pick> truth = {at(100, 100, 1, 0, 60)};
  // shifted by 20 px along x with 60-px boxes: IoU = 40/80 = 0.5 exactly; shifted by 21: below.
  EXPECT_EQ(match_picks(truth, {at(120, 100, 1, 0, 60)}, parse_match_rule("iou:0.5"))[0], 0);
  EXPECT_EQ(match_picks(truth, {at(121, 100, 1, 0, 60)}, parse_match_rule("iou:0.5"))[0], -1);
  // Identical boxes at awkward coordinates: rounding may give IoU = 1 + 1e-16, still a match.
  const Pick odd{429.749751, 808.478867, 170, 170, 0, 1};
  EXPECT_EQ(match_picks({odd}, {odd}, parse_match_rule("iou:0.5"))[0], 0);
}

TEST(Evaluation, HandMadeCurveApAndBestF1) {
  // 4 truths; picks: 3 hits at conf 0.9, 0.8, 0.6 and one miss at 0.7.
  MicrographPair mp{"m", {at(0, 0), at(100, 0), at(200, 0), at(300, 0)},
                    {at(1, 0, 0.9), at(101, 0, 0.8), at(500, 500, 0.7), at(201, 0, 0.6)}};
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.65);
  const ClassMetrics& m = r.overall;
  EXPECT_EQ(m.tp, 2);
  EXPECT_EQ(m.n_pred, 3);
  EXPECT_NEAR(m.precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.recall, 0.5, 1e-12);
  EXPECT_NEAR(m.f1, 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), 1e-12);
  ASSERT_EQ(m.curve.size(), 4u);
  EXPECT_NEAR(m.curve[2].precision, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.curve[3].recall, 0.75, 1e-12);
  // envelope: 1, 1, 0.75, 0.75 at recalls .25 .5 .5 .75  -> AP = .25 + .25 + 0 + .25 * .75
  EXPECT_NEAR(m.ap, 0.6875, 1e-12);
  EXPECT_NEAR(m.best_f1, 0.75, 1e-12);
  EXPECT_EQ(m.best_threshold, 0.6);
  EXPECT_NEAR(m.mean_centre_error, 1.0, 1e-12);
}

TEST(Evaluation, PerClassAndPerMicrographShares) {
  // class 0 found perfectly; class 1: one of two found. Three micrographs with known P/R.
  std::vector<MicrographPair> data = {
      {"perfect", {at(0, 0), at(100, 0, 1, 1)}, {at(0, 0, 0.9), at(100, 0, 0.9, 1)}},
      {"missed", {at(0, 0, 1, 1)}, {}},
      {"empty", {}, {}},
  };
  const EvaluationReport r = evaluate_picks(data, parse_match_rule("dist:5"), 0.5);
  ASSERT_EQ(r.per_class.size(), 2u);
  EXPECT_NEAR(r.per_class[0].recall, 1.0, 1e-12);
  EXPECT_NEAR(r.per_class[1].recall, 0.5, 1e-12);
  EXPECT_NEAR(r.per_class[1].ap, 0.5, 1e-12);
  // "perfect" and "empty" (nothing to find, nothing picked) pass; "missed" has recall 0.
  EXPECT_NEAR(r.share_pr_above_090, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.share_pr_above_095, 2.0 / 3, 1e-12);
  EXPECT_NEAR(r.macro_recall, 2.0 / 3, 1e-12);
  // Class-agnostic overall: a class-0 pick on a class-1 truth still counts there, not per class.
  const EvaluationReport swapped =
      evaluate_picks({{"x", {at(0, 0, 1, 1)}, {at(0, 0, 0.9, 0)}}}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(swapped.overall.tp, 1);
  EXPECT_EQ(swapped.per_class[0].tp + swapped.per_class[1].tp, 0);
}

TEST(Evaluation, CurveCountsEqualHungarianAtEveryThreshold) {
  std::mt19937 g(3);
  std::uniform_real_distribution<double> u(0, 300), c(0, 1);
  std::vector<Pick> truth, preds;
  for (int i = 0; i < 40; ++i) truth.push_back(at(u(g), u(g)));
  for (int i = 0; i < 60; ++i) preds.push_back(at(u(g), u(g), c(g)));
  const MatchRule rule = parse_match_rule("dist:25");
  const EvaluationReport r = evaluate_picks({{"m", truth, preds}}, rule, 0.0);
  for (const PrPoint& p : r.overall.curve) {
    std::vector<Pick> kept;
    for (const Pick& q : preds)
      if (q.confidence >= p.threshold) kept.push_back(q);
    const std::vector<int> m = match_picks(truth, kept, rule);
    const int tp = int(std::count_if(m.begin(), m.end(), [](int v) { return v >= 0; }));
    ASSERT_NEAR(p.recall * truth.size(), tp, 1e-9) << "threshold " << p.threshold;
  }
}

TEST(Evaluation, MatchRuleParsing) {
  EXPECT_EQ(parse_match_rule("iou:0.5").kind, MatchRule::Kind::IoU);
  EXPECT_EQ(parse_match_rule("dist:40").value, 40);
  EXPECT_THROW(parse_match_rule("iou:1.5"), yp::Error);
  EXPECT_THROW(parse_match_rule("dist:"), yp::Error);
  EXPECT_THROW(parse_match_rule("near:3"), yp::Error);
}

// Marked positions (evaluate.h): one micrograph, dist:5 matching, 75-px reach.
TEST(Evaluation, PickOnExcludedObjectIsHardNegativeFalsePositive) {
  MicrographPair mp{"m", {at(0, 0)}, {at(0, 0, 0.9), at(500, 500, 0.8), at(1000, 0, 0.7)}};
  mp.excluded = {{510, 490, "tube"}};
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(r.overall.tp, 1);
  EXPECT_EQ(r.overall.n_pred, 3);  // the pick on the tube still counts against precision
  EXPECT_EQ(r.overall.hard_negatives, 1);
  EXPECT_EQ(r.overall.ignored, 0);
  EXPECT_NEAR(r.overall.precision, 1.0 / 3, 1e-12);
  EXPECT_EQ(r.micrographs[0].hard_negatives, 1);
  EXPECT_EQ(r.n_excluded, 1);
  // Without the marker the pick is an ordinary false positive: same P, no hard negative.
  mp.excluded.clear();
  const EvaluationReport plain = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(plain.overall.hard_negatives, 0);
  EXPECT_NEAR(plain.overall.precision, 1.0 / 3, 1e-12);
}

TEST(Evaluation, PickNearUncertainObjectIsIgnored) {
  MicrographPair mp{"m", {at(0, 0)}, {at(0, 0, 0.9), at(560, 500, 0.8), at(580, 500, 0.7)}};
  mp.uncertain = {{500, 500, "faint ring"}};
  // 60 px away: ignored; 80 px away: beyond the 75-px reach, a false positive.
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(r.overall.ignored, 1);
  EXPECT_EQ(r.overall.n_pred, 2);
  EXPECT_EQ(r.overall.tp, 1);
  EXPECT_NEAR(r.overall.precision, 0.5, 1e-12);
  EXPECT_EQ(r.overall.hard_negatives, 0);
  // A larger reach ignores both; the curve leaves ignored picks out too.
  const EvaluationReport wide = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5, 100);
  EXPECT_EQ(wide.overall.ignored, 2);
  EXPECT_NEAR(wide.overall.precision, 1.0, 1e-12);
  ASSERT_FALSE(wide.overall.curve.empty());
  EXPECT_NEAR(wide.overall.curve.back().precision, 1.0, 1e-12);
  EXPECT_EQ(wide.overall.curve.back().picks, 1);
  // Ignoring applies per class as well: the class-0 scope sees the same picks.
  EXPECT_EQ(wide.per_class[0].ignored, 2);
}

TEST(Evaluation, TruthNearUncertainObjectIsOptional) {
  // Truth B sits beside an uncertain object: missing it costs no recall, and a pick on it is ignored.
  MicrographPair missed{"missed", {at(0, 0), at(300, 0)}, {at(0, 0, 0.9)}};
  missed.uncertain = {{320, 10, "touching debris"}};
  MicrographPair found{"found", {at(0, 0), at(300, 0)}, {at(0, 0, 0.9), at(301, 0, 0.8)}};
  found.uncertain = missed.uncertain;
  for (const MicrographPair& mp : {missed, found}) {
    const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
    EXPECT_EQ(r.overall.n_truth, 1) << mp.name;
    EXPECT_EQ(r.overall.tp, 1) << mp.name;
    EXPECT_NEAR(r.overall.recall, 1.0, 1e-12) << mp.name;
    EXPECT_NEAR(r.overall.precision, 1.0, 1e-12) << mp.name;
  }
  EXPECT_EQ(evaluate_picks({found}, parse_match_rule("dist:5"), 0.5).overall.ignored, 1);
}

TEST(Evaluation, NearerMarkerDecidesAndMatchedPickIsNeverPenalised) {
  MicrographPair mp{"m", {at(0, 0)}, {at(0, 0, 0.9), at(540, 500, 0.8), at(460, 500, 0.7)}};
  mp.excluded = {{560, 500, "aggregate"}};
  mp.uncertain = {{440, 500, "faint"}};
  mp.excluded.push_back({0, 0, "a truth can sit beside an excluded blob"});
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(r.overall.tp, 1);              // the matched pick stays a TP although an excluded mark is on it
  EXPECT_EQ(r.overall.hard_negatives, 1);  // (540, 500): 20 px from the excluded, 100 from the uncertain
  EXPECT_EQ(r.overall.ignored, 1);         // (460, 500): 20 px from the uncertain, 100 from the excluded
}

TEST(Evaluation, CurveCountsEqualOperatingPointWithMarkers) {
  std::mt19937 g(5);
  std::uniform_real_distribution<double> u(0, 400), c(0, 1);
  std::vector<MicrographPair> data(3);
  for (int k = 0; k < 3; ++k) {
    data[k].name = "m" + std::to_string(k);
    for (int i = 0; i < 25; ++i) data[k].truth.push_back(at(u(g), u(g), 1, i % 2));
    for (int i = 0; i < 40; ++i) data[k].preds.push_back(at(u(g), u(g), c(g), i % 2));
    for (int i = 0; i < 4; ++i) data[k].excluded.push_back({u(g), u(g), "x"});
    for (int i = 0; i < 3; ++i) data[k].uncertain.push_back({u(g), u(g), "u"});
  }
  const MatchRule rule = parse_match_rule("dist:20");
  const EvaluationReport all = evaluate_picks(data, rule, 0.0, 30);
  for (const ClassMetrics* m : {&all.overall, &all.per_class[0], &all.per_class[1]})
    for (const PrPoint& p : m->curve) {
      const EvaluationReport at_p = evaluate_picks(data, rule, p.threshold, 30);
      const ClassMetrics& o = m->cls < 0 ? at_p.overall : at_p.per_class[m->cls];
      ASSERT_EQ(p.tp, o.tp) << "threshold " << p.threshold;
      ASSERT_EQ(p.picks, o.n_pred) << "threshold " << p.threshold;
      ASSERT_EQ(p.hard_negatives, o.hard_negatives) << "threshold " << p.threshold;
      const PrPoint q = point_at_threshold(*m, p.threshold);
      ASSERT_EQ(q.picks, p.picks);
    }
  EXPECT_EQ(point_at_threshold(all.overall, 1.5).picks, 0);  // no pick reaches 1.5
}

TEST(Evaluation, PerPickOutcomesAgreeWithTheCounts) {
  MicrographPair mp{"m", {at(0, 0), at(100, 0), at(300, 300)}, {at(1, 0, 0.9), at(500, 500, 0.8), at(580, 500, 0.7), at(99, 0, 0.1)}};
  mp.excluded = {{505, 500, "tube"}};
  mp.uncertain = {{590, 510, "faint"}, {310, 300, "touching debris"}};
  const MicrographOutcomes o = micrograph_outcomes(mp, parse_match_rule("dist:5"), 0.5);
  ASSERT_EQ(o.pick.size(), 4u);
  EXPECT_EQ(o.pick[0], int(PickOutcome::TruePositive));
  EXPECT_EQ(o.pick[1], int(PickOutcome::HardNegative));
  EXPECT_EQ(o.pick[2], int(PickOutcome::Ignored));
  EXPECT_EQ(o.pick[3], -1);  // below the threshold
  EXPECT_EQ(o.truth_found, (std::vector<bool>{true, false, true}));  // the third truth is optional
  const EvaluationReport r = evaluate_picks({mp}, parse_match_rule("dist:5"), 0.5);
  EXPECT_EQ(r.overall.tp, 1);
  EXPECT_EQ(r.overall.hard_negatives, 1);
  EXPECT_EQ(r.overall.ignored, 1);
  EXPECT_EQ(r.overall.n_truth, 2);
}

TEST(Evaluation, PictureColoursPicksByOutcome) {
  // A flat 200 x 100 micrograph, one truth found by a pick (green) and one false pick (red), full size.
  yp::imgproc::Image img(200, 100, 0.5f);
  img.at(0, 0) = 0.f;
  img.at(199, 99) = 1.f;
  MicrographPair mp{"m", {at(50, 50, 1, 0, 40)}, {at(50, 50, 0.9, 0, 40), at(150, 50, 0.8, 0, 40)}};
  const MicrographOutcomes o = micrograph_outcomes(mp, parse_match_rule("iou:0.5"), 0.5);
  const std::string path = (std::filesystem::temp_directory_path() / "yp_eval_picture.png").string();
  write_evaluation_png(path, img, mp, o, 0, {"top"});
  yp::imgproc::ReadOptions keep;
  keep.keep_rgb = true;
  const yp::imgproc::LoadedImage read = yp::imgproc::read_image(path, keep);
  // The micrograph at the top left; the legend in a strip below it (and wider than this small micrograph).
  const int w = read.image.width;
  ASSERT_GE(w, 200);
  ASSERT_GT(read.image.height, 100);
  ASSERT_EQ(read.rgb.size(), size_t(w) * read.image.height * 3);
  const uint8_t* px = read.rgb.data();
  // The picks' outlines are inset by 3 px: left edges at x = 50.5 - 20 + 3 and 150.5 - 20 + 3, row 50.
  auto rgb = [&](int x, int y) { return std::vector<int>{px[3 * (y * w + x)], px[3 * (y * w + x) + 1], px[3 * (y * w + x) + 2]}; };
  EXPECT_EQ(rgb(34, 50), (std::vector<int>{0, 200, 0}));
  EXPECT_EQ(rgb(134, 50), (std::vector<int>{230, 0, 0}));
}

// A truth point outside its micrograph can never be found: it is dropped and counted, not scored as a miss.
TEST(Evaluation, TruthOutsideTheImageIsDroppedWhenTheSizeIsKnown) {
  MicrographPicks t;
  t.picks = {{10, 10, 8, 8, 0, 1}, {-3, 10, 8, 8, 0, 1}, {99.5, 50, 8, 8, 0, 1}, {50, 120, 8, 8, 0, 1}};
  MicrographPicks unknown = t;
  EXPECT_EQ(drop_truth_outside_image(unknown), 0);  // size unknown (STAR): kept
  t.width = 100, t.height = 100;
  EXPECT_EQ(drop_truth_outside_image(t), 2);
  ASSERT_EQ(t.picks.size(), 2u);
  EXPECT_EQ(t.picks[1].x, 99.5);  // the last pixel's edge is still inside
}
