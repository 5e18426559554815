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

struct PrPoint {
  double threshold, precision, recall;
};

struct ClassMetrics {
  int cls = -1;                       // -1 = overall (class-agnostic)
  int n_truth = 0, n_pred = 0, tp = 0;  // at the operating threshold
  double precision = 0, recall = 0, f1 = 0;
  double ap = 0;                      // all-point AP over the whole curve
  double best_f1 = 0, best_threshold = 0;
  double mean_centre_error = 0;       // pixels, over TPs at the operating threshold
  std::vector<PrPoint> curve;         // descending threshold
};

struct MicrographMetrics {
  std::string name;
  int n_truth = 0, n_pred = 0, tp = 0;
  double precision = 1, recall = 1, f1 = 1;  // empty sets count as perfect
};

struct MicrographPair {
  std::string name;
  std::vector<Pick> truth, preds;
};

struct EvaluationReport {
  MatchRule rule;
  double threshold = 0;
  ClassMetrics overall;
  std::vector<ClassMetrics> per_class;  // classes present in truth or picks, ascending
  std::vector<MicrographMetrics> micrographs;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double share_pr_above_090 = 0, share_pr_above_095 = 0;  // micrographs with P > x and R > x
};

EvaluationReport evaluate_picks(const std::vector<MicrographPair>& data, const MatchRule& rule, double threshold);

std::string report_table(const EvaluationReport& r);            // human-readable, for the terminal
std::string report_json(const EvaluationReport& r);
std::string report_summary_csv(const EvaluationReport& r);      // one row per class + overall
std::string report_micrographs_csv(const EvaluationReport& r);  // one row per micrograph
std::string report_curve_csv(const EvaluationReport& r);        // class,threshold,precision,recall

}  // namespace yp::picker
