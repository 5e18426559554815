// evaluate.h: scoring picks against ground truth (`yolopick evaluate`). The rules, and why, are in
// docs/picking.md#evaluation.
//
// Matching: one-to-one, by the Hungarian algorithm (hungarian_assign, O(n^3), Kuhn-Munkres with potentials)
// on the cost  d = centre distance (rule dist:R, a pair is allowed when d <= R)  or  1 - IoU (rule iou:t,
// allowed when IoU >= t). Disallowed pairs get a cost larger than any sum of allowed costs, so the assignment
// first maximises the NUMBER of matches and then minimises their total cost. Matching runs per connected
// component of the "allowed pair" graph, which keeps n small on real micrographs.
//
// Curves: for a threshold t the TP count is the size of the maximum matching among picks with confidence >= t.
// Adding picks in descending confidence and searching one augmenting path per pick (Kuhn) yields that count
// for EVERY t exactly (a matched vertex stays matched when paths augment), so the PR curve has a point at each
// distinct confidence. AP = all-point interpolated area: precision replaced by its running maximum from the
// right (the VOC2010 / COCO envelope), integrated over the recall steps; no extrapolation beyond the last recall.
//
// Per class: truth and picks of that class only. "overall": class-agnostic (a particle found is found).
//
// Marked positions (coords.h MarkedPosition; the real labels' excluded.txt / uncertain.txt), within
// `marker_radius` px of a centre:
//   excluded (hard negatives): an unmatched pick there is a false positive, counted apart as a hard negative;
//   uncertain: an unmatched pick there is ignored (neither TP nor FP), and a truth there is optional: it is
//              not required (no miss when unmatched) and a pick that matches it is ignored (PASCAL VOC's
//              "difficult"). Picks match the required truths only.
// An unmatched pick near both kinds takes the nearer one's rule. When several maximum matchings exist, the
// picks left unmatched (and so judged by these rules) are the least confident ones: picks are matched in
// descending confidence by augmenting paths, which keeps every matched pick matched, so the matched set is the
// greedy optimum and the counts at every threshold (curve and operating point) come from one pass.
#pragma once

#include <string>
#include <vector>

#include "picker/coords.h"

namespace yp::picker {

struct MatchRule {
  enum class Kind { Distance, IoU };
  Kind kind = Kind::Distance;
  double value = 0;            // R in pixels, or the IoU threshold
  std::string str() const;     // "dist:40" / "iou:0.5"
};
MatchRule parse_match_rule(const std::string& text);  // throws yp::Error on anything else

// Minimum-cost assignment of a rows x cols cost matrix (row-major). Returns, for each row, its column, or -1
// when rows > cols and the row is left over. Every min(rows, cols) pairs are assigned.
std::vector<int> hungarian_assign(const std::vector<double>& cost, int rows, int cols);

// One-to-one matching of preds to truth under `rule`. Returns, for each pred, the matched truth index or -1.
std::vector<int> match_picks(const std::vector<Pick>& truth, const std::vector<Pick>& preds, const MatchRule& rule);

// What a pick counts as once matched.
enum class PickOutcome { TruePositive, FalsePositive, HardNegative, Ignored };

struct PrPoint {
  double threshold = 0, precision = 0, recall = 0;
  int picks = 0, tp = 0, hard_negatives = 0;  // picks counted (ignored ones left out) at confidence >= threshold
};

struct ClassMetrics {
  int cls = -1;                       // -1 = overall (class-agnostic)
  int n_truth = 0, n_pred = 0, tp = 0;  // at the operating threshold; n_truth = required truths,
  int hard_negatives = 0, ignored = 0;  // n_pred = picks counted (ignored ones are not), hard negatives among FPs
  double precision = 0, recall = 0, f1 = 0;
  double ap = 0;                      // all-point AP over the whole curve
  double best_f1 = 0, best_threshold = 0;
  double mean_centre_error = 0;       // pixels, over TPs at the operating threshold
  std::vector<PrPoint> curve;         // descending threshold
};

struct MicrographMetrics {
  std::string name;
  int cls = -1;                     // -1 = all classes (class-agnostic)
  int n_truth = 0, n_pred = 0, tp = 0, hard_negatives = 0, ignored = 0;
  double precision = 1, recall = 1, f1 = 1;  // empty sets count as perfect
};

struct MicrographPair {
  std::string name;
  std::vector<Pick> truth, preds;
  std::vector<MarkedPosition> excluded{}, uncertain{};  // see "Marked positions" above ({}: brace-init may omit them)
};

struct EvaluationReport {
  MatchRule rule;
  double threshold = 0;
  double marker_radius = 0;
  int n_excluded = 0, n_uncertain = 0;  // marked positions over all micrographs
  std::vector<std::string> class_names; // optional, for the reports ("top", "side"); else the class ids
  ClassMetrics overall;
  std::vector<ClassMetrics> per_class;  // classes present in truth or picks, ascending
  std::vector<MicrographMetrics> micrographs;           // class-agnostic, one per micrograph
  std::vector<MicrographMetrics> micrographs_by_class;  // per micrograph and class (ascending class)
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double share_pr_above_090 = 0, share_pr_above_095 = 0;  // micrographs with P > x and R > x
};

constexpr double kDefaultMarkerRadius = 75;  // px; labels/README.txt of the real KLH labels ("~75 px")

// Removes the truth points whose centre lies outside their micrograph (when its size is known: width, height > 0;
// pixel centres at integers, so the picture spans [-0.5, width - 0.5]) and returns how many: a label no picker
// can find would count as a miss and understate recall. `evaluate` says how many it dropped.
int drop_truth_outside_image(MicrographPicks& truth);

EvaluationReport evaluate_picks(const std::vector<MicrographPair>& data, const MatchRule& rule, double threshold,
                                double marker_radius = kDefaultMarkerRadius);

// What each pick of one micrograph counts as at `threshold`, all classes together (the "all" scope):
// pick[i] = int(PickOutcome) or -1 below the threshold; truth_found[t] = matched, or optional (never a miss).
struct MicrographOutcomes {
  std::vector<int> pick;
  std::vector<bool> truth_found;
};
MicrographOutcomes micrograph_outcomes(const MicrographPair& mp, const MatchRule& rule, double threshold,
                                      double marker_radius = kDefaultMarkerRadius);

// The curve's counts at confidence >= t (the last curve point at or above t; all zero when no pick reaches t).
PrPoint point_at_threshold(const ClassMetrics& m, double t);

std::string report_table(const EvaluationReport& r);            // human-readable, for the terminal
std::string report_json(const EvaluationReport& r);
std::string report_summary_csv(const EvaluationReport& r);      // one row per class + overall
std::string report_micrographs_csv(const EvaluationReport& r);  // one row per micrograph and class (+ all)
std::string report_curve_csv(const EvaluationReport& r);        // class,threshold,precision,recall,...
// P/R/F1 per class at confidence 0.05, 0.10, ..., 0.95 (the best operating point per class at a glance).
std::string report_threshold_csv(const EvaluationReport& r);
std::string report_threshold_table(const EvaluationReport& r, double step = 0.1);  // terminal form
std::string report_micrograph_table(const EvaluationReport& r);                    // terminal form

}  // namespace yp::picker
