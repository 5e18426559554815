// evaluate.cpp: Hungarian matching, PR curves, AP and the per-micrograph distribution (evaluate.h).
#include "picker/evaluate.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <set>

#include "util/error.h"

namespace yp::picker {

std::string MatchRule::str() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s:%g", kind == Kind::IoU ? "iou" : "dist", value);
  return buf;
}

MatchRule parse_match_rule(const std::string& text) {
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  MatchRule r;
  if (colon == std::string::npos || (kind != "iou" && kind != "dist"))
    throw Error("--match '" + text + "': expected iou:T (0 < T <= 1) or dist:R (pixels)");
  r.kind = kind == "iou" ? MatchRule::Kind::IoU : MatchRule::Kind::Distance;
  const std::string num = text.substr(colon + 1);
  char* end = nullptr;
  r.value = std::strtod(num.c_str(), &end);
  if (num.empty() || *end || !std::isfinite(r.value) || r.value <= 0 || (r.kind == MatchRule::Kind::IoU && r.value > 1))
    throw Error("--match '" + text + "': bad threshold '" + num + "'");
  return r;
}

// Kuhn-Munkres with row/column potentials (the shortest-augmenting-path form): each of the n rows is added
// in turn and a Dijkstra-like scan over the m columns finds the cheapest augmenting path under the reduced
// costs cost - u - v, which stay >= 0. n rows x O(n m) per row = O(n^2 m). Requires rows <= cols.
static std::vector<int> hungarian_rows_le_cols(const std::vector<double>& a, int n, int m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);  // p[j] = row matched to column j (1-based), 0 = free
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a[static_cast<size_t>(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {  // flip the augmenting path
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= m; ++j)
    if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
  return row_to_col;
}

std::vector<int> hungarian_assign(const std::vector<double>& cost, int rows, int cols) {
  if (static_cast<size_t>(rows) * cols != cost.size()) throw Error("hungarian_assign: cost size does not match rows x cols");
  if (rows == 0 || cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols) return hungarian_rows_le_cols(cost, rows, cols);
  std::vector<double> t(cost.size());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) t[static_cast<size_t>(c) * rows + r] = cost[static_cast<size_t>(r) * cols + c];
  const std::vector<int> col_to_row = hungarian_rows_le_cols(t, cols, rows);
  std::vector<int> out(rows, -1);
  for (int c = 0; c < cols; ++c) out[col_to_row[c]] = c;
  return out;
}

// Cost of matching pred to truth, or a negative value when the rule forbids the pair.
static double pair_cost(const Pick& t, const Pick& p, const MatchRule& rule) {
  if (rule.kind == MatchRule::Kind::Distance) {
    const double d = std::hypot(t.x - p.x, t.y - p.y);
    return d <= rule.value ? d : -1.0;
  }
  const double iou = box_iou(corners(t), corners(p));
  return iou >= rule.value ? std::max(0.0, 1.0 - iou) : -1.0;  // rounding can make iou a hair above 1
}

namespace {
struct Edge {
  int pred, truth;
  double cost;
};
std::vector<Edge> allowed_pairs(const std::vector<Pick>& truth, const std::vector<Pick>& preds, const MatchRule& rule) {
  std::vector<Edge> edges;
  for (size_t p = 0; p < preds.size(); ++p)
    for (size_t t = 0; t < truth.size(); ++t) {
      const double c = pair_cost(truth[t], preds[p], rule);
      if (c >= 0) edges.push_back({static_cast<int>(p), static_cast<int>(t), c});
    }
  return edges;
}
int find_root(std::vector<int>& parent, int i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}
}  // namespace

std::vector<int> match_picks(const std::vector<Pick>& truth, const std::vector<Pick>& preds, const MatchRule& rule) {
  const int T = static_cast<int>(truth.size()), P = static_cast<int>(preds.size());
  std::vector<int> pred_to_truth(P, -1);
  const std::vector<Edge> edges = allowed_pairs(truth, preds, rule);
  // Connected components of the bipartite "allowed" graph: truth nodes 0..T-1, pred nodes T..T+P-1.
  std::vector<int> parent(T + P);
  std::iota(parent.begin(), parent.end(), 0);
  for (const Edge& e : edges) parent[find_root(parent, T + e.pred)] = find_root(parent, e.truth);
  std::vector<std::vector<int>> comp_preds(T + P), comp_truth(T + P);
  for (int t = 0; t < T; ++t) comp_truth[find_root(parent, t)].push_back(t);
  for (int p = 0; p < P; ++p) comp_preds[find_root(parent, T + p)].push_back(p);
  std::vector<std::vector<const Edge*>> comp_edges(T + P);
  for (const Edge& e : edges) comp_edges[find_root(parent, e.truth)].push_back(&e);

  const double gate = rule.kind == MatchRule::Kind::Distance ? rule.value : 1.0;
  for (int c = 0; c < T + P; ++c) {
    const auto& cp = comp_preds[c];
    const auto& ct = comp_truth[c];
    if (cp.empty() || ct.empty()) continue;
    const int n = static_cast<int>(cp.size()), m = static_cast<int>(ct.size());
    // Larger than any sum of allowed costs: maximise the number of matches first.
    const double forbidden = (std::min(n, m) + 1) * (gate + 1.0);
    std::vector<int> local_pred(P, -1), local_truth(T, -1);
    for (int i = 0; i < n; ++i) local_pred[cp[i]] = i;
    for (int j = 0; j < m; ++j) local_truth[ct[j]] = j;
    std::vector<double> cost(static_cast<size_t>(n) * m, forbidden);
    std::vector<char> allowed(static_cast<size_t>(n) * m, 0);
    for (const Edge* e : comp_edges[c]) {
      const size_t k = static_cast<size_t>(local_pred[e->pred]) * m + local_truth[e->truth];
      cost[k] = e->cost;
      allowed[k] = 1;
    }
    const std::vector<int> a = hungarian_assign(cost, n, m);
    for (int i = 0; i < n; ++i)
      if (a[i] >= 0 && allowed[static_cast<size_t>(i) * m + a[i]]) pred_to_truth[cp[i]] = ct[a[i]];
  }
  return pred_to_truth;
}

namespace {

double nearest_distance(const Pick& p, const std::vector<MarkedPosition>& marks) {
  double best = std::numeric_limits<double>::infinity();
  for (const MarkedPosition& m : marks) best = std::min(best, std::hypot(p.x - m.x, p.y - m.y));
  return best;
}

// The truths of one micrograph and scope, split by the uncertain positions, and the rule for unmatched picks.
struct ScopeTruth {
  std::vector<Pick> required, optional;
  const MicrographPair* mp;
  const MatchRule* rule;
  double radius;

  // What a pick that matched no required truth counts as (evaluate.h, "Marked positions").
  PickOutcome unmatched(const Pick& p) const {
    for (const Pick& t : optional)
      if (pair_cost(t, p, *rule) >= 0) return PickOutcome::Ignored;
    const double d_ex = nearest_distance(p, mp->excluded), d_un = nearest_distance(p, mp->uncertain);
    if (d_ex <= radius && d_ex <= d_un) return PickOutcome::HardNegative;
    if (d_un <= radius) return PickOutcome::Ignored;
    return PickOutcome::FalsePositive;
  }
};

ScopeTruth scope_truth(const MicrographPair& mp, const std::vector<Pick>& truth, const MatchRule& rule, double radius) {
  ScopeTruth s{{}, {}, &mp, &rule, radius};
  for (const Pick& t : truth) (nearest_distance(t, mp.uncertain) <= radius ? s.optional : s.required).push_back(t);
  return s;
}

// Picks taken in descending confidence: whether each one raised the maximum-matching size with the required
// truths (Kuhn's augmenting paths), and if not, what it counts as. Outcomes in the order of `preds`;
// truth_match[t] = the pick matched to required truth t at the end, or -1.
struct Matching {
  std::vector<PickOutcome> outcome;
  std::vector<int> truth_match;
};
Matching incremental_match(const ScopeTruth& st, const std::vector<Pick>& preds, const MatchRule& rule) {
  const std::vector<Pick>& truth = st.required;
  const int T = static_cast<int>(truth.size()), P = static_cast<int>(preds.size());
  std::vector<std::vector<int>> adj(P);
  for (const Edge& e : allowed_pairs(truth, preds, rule)) adj[e.pred].push_back(e.truth);
  std::vector<int> order(P);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return preds[a].confidence > preds[b].confidence; });
  Matching m{std::vector<PickOutcome>(P, PickOutcome::FalsePositive), std::vector<int>(T, -1)};
  std::vector<int> seen(T, -1);
  int stamp = 0;
  std::function<bool(int)> augment = [&](int p) {
    for (int t : adj[p]) {
      if (seen[t] == stamp) continue;
      seen[t] = stamp;
      if (m.truth_match[t] < 0 || augment(m.truth_match[t])) {
        m.truth_match[t] = p;
        return true;
      }
    }
    return false;
  };
  for (int p : order) {
    ++stamp;
    m.outcome[p] = augment(p) ? PickOutcome::TruePositive : st.unmatched(preds[p]);
  }
  return m;
}

double safe_div(double a, double b, double if_zero) { return b > 0 ? a / b : if_zero; }
double f1_of(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

std::vector<Pick> of_class(const std::vector<Pick>& v, int cls) {
  if (cls < 0) return v;
  std::vector<Pick> out;
  for (const Pick& p : v)
    if (p.cls == cls) out.push_back(p);
  return out;
}

std::vector<Pick> above(const std::vector<Pick>& v, double threshold) {
  std::vector<Pick> out;
  for (const Pick& p : v)
    if (p.confidence >= threshold) out.push_back(p);
  return out;
}

ClassMetrics evaluate_scope(const std::vector<MicrographPair>& data, const MatchRule& rule, double threshold,
                            double radius, int cls, std::vector<MicrographMetrics>* per_mic) {
  ClassMetrics m;
  m.cls = cls;
  std::vector<std::pair<double, PickOutcome>> scored;
  double err_sum = 0;
  for (const MicrographPair& mp : data) {
    const ScopeTruth st = scope_truth(mp, of_class(mp.truth, cls), rule, radius);
    const std::vector<Pick> preds = of_class(mp.preds, cls);
    const Matching matching = incremental_match(st, preds, rule);
    std::vector<std::pair<double, PickOutcome>> inc;
    for (size_t i = 0; i < preds.size(); ++i) inc.emplace_back(preds[i].confidence, matching.outcome[i]);
    scored.insert(scored.end(), inc.begin(), inc.end());
    MicrographMetrics mm;
    mm.name = mp.name;
    mm.cls = cls;
    mm.n_truth = static_cast<int>(st.required.size());
    int kept = 0;
    for (const auto& [confidence, outcome] : inc) {
      if (confidence < threshold) continue;
      ++kept;
      mm.tp += outcome == PickOutcome::TruePositive;
      mm.ignored += outcome == PickOutcome::Ignored;
      mm.hard_negatives += outcome == PickOutcome::HardNegative;
    }
    mm.n_pred = kept - mm.ignored;
    // The centre error of the cheapest maximum matching (same size as the incremental one).
    const std::vector<Pick> above_threshold = above(preds, threshold);
    const std::vector<int> match = match_picks(st.required, above_threshold, rule);
    for (size_t i = 0; i < above_threshold.size(); ++i)
      if (match[i] >= 0)
        err_sum += std::hypot(above_threshold[i].x - st.required[match[i]].x, above_threshold[i].y - st.required[match[i]].y);
    mm.precision = safe_div(mm.tp, mm.n_pred, 1.0);
    mm.recall = safe_div(mm.tp, mm.n_truth, 1.0);
    mm.f1 = f1_of(mm.precision, mm.recall);
    m.n_truth += mm.n_truth;
    m.n_pred += mm.n_pred;
    m.tp += mm.tp;
    m.hard_negatives += mm.hard_negatives;
    m.ignored += mm.ignored;
    if (per_mic) per_mic->push_back(mm);
  }
  m.precision = safe_div(m.tp, m.n_pred, 0.0);
  m.recall = safe_div(m.tp, m.n_truth, 0.0);
  m.f1 = f1_of(m.precision, m.recall);
  m.mean_centre_error = safe_div(err_sum, m.tp, 0.0);

  // Pooled PR curve: a point at the end of each group of equal confidence; ignored picks do not count.
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  PrPoint pt;
  for (size_t i = 0; i < scored.size(); ++i) {
    const PickOutcome o = scored[i].second;
    pt.tp += o == PickOutcome::TruePositive;
    pt.hard_negatives += o == PickOutcome::HardNegative;
    pt.picks += o != PickOutcome::Ignored;
    if (i + 1 < scored.size() && scored[i + 1].first == scored[i].first) continue;
    if (pt.picks == 0) continue;
    pt.threshold = scored[i].first;
    pt.precision = double(pt.tp) / pt.picks;
    pt.recall = safe_div(pt.tp, m.n_truth, 0.0);
    m.curve.push_back(pt);
    if (f1_of(pt.precision, pt.recall) > m.best_f1) {
      m.best_f1 = f1_of(pt.precision, pt.recall);
      m.best_threshold = pt.threshold;
    }
  }
  // All-point AP: precision envelope (running max from the right) integrated over recall steps.
  double envelope = 0, ap = 0;
  for (size_t k = m.curve.size(); k-- > 0;) {
    envelope = std::max(envelope, m.curve[k].precision);
    const double r_prev = k > 0 ? m.curve[k - 1].recall : 0.0;
    ap += (m.curve[k].recall - r_prev) * envelope;
  }
  m.ap = ap;
  return m;
}

}  // namespace

MicrographOutcomes micrograph_outcomes(const MicrographPair& mp, const MatchRule& rule, double threshold,
                                      double marker_radius) {
  const ScopeTruth st = scope_truth(mp, mp.truth, rule, marker_radius);
  std::vector<Pick> kept;
  std::vector<size_t> kept_index;
  for (size_t i = 0; i < mp.preds.size(); ++i)
    if (mp.preds[i].confidence >= threshold) {
      kept.push_back(mp.preds[i]);
      kept_index.push_back(i);
    }
  const Matching m = incremental_match(st, kept, rule);
  MicrographOutcomes out;
  out.pick.assign(mp.preds.size(), -1);
  for (size_t k = 0; k < kept.size(); ++k) out.pick[kept_index[k]] = static_cast<int>(m.outcome[k]);
  // scope_truth keeps the order of mp.truth within each group: walk both to map required truths back.
  out.truth_found.assign(mp.truth.size(), true);
  size_t r = 0;
  for (size_t t = 0; t < mp.truth.size(); ++t)
    if (nearest_distance(mp.truth[t], mp.uncertain) > marker_radius) out.truth_found[t] = m.truth_match[r++] >= 0;
  return out;
}

PrPoint point_at_threshold(const ClassMetrics& m, double t) {
  PrPoint out;
  out.threshold = t;
  for (const PrPoint& p : m.curve) {  // descending threshold
    if (p.threshold < t) break;
    out = p;
    out.threshold = t;
  }
  return out;
}

EvaluationReport evaluate_picks(const std::vector<MicrographPair>& data, const MatchRule& rule, double threshold,
                                double marker_radius) {
  if (!(marker_radius >= 0)) throw Error("evaluate: the marker radius must be >= 0");
  EvaluationReport r;
  r.rule = rule;
  r.threshold = threshold;
  r.marker_radius = marker_radius;
  r.overall = evaluate_scope(data, rule, threshold, marker_radius, -1, &r.micrographs);
  std::set<int> classes;
  for (const MicrographPair& mp : data) {
    for (const Pick& p : mp.truth) classes.insert(p.cls);
    for (const Pick& p : mp.preds) classes.insert(p.cls);
    r.n_excluded += static_cast<int>(mp.excluded.size());
    r.n_uncertain += static_cast<int>(mp.uncertain.size());
  }
  std::vector<std::vector<MicrographMetrics>> by_class;
  for (int c : classes) {
    by_class.emplace_back();
    r.per_class.push_back(evaluate_scope(data, rule, threshold, marker_radius, c, &by_class.back()));
  }
  for (size_t i = 0; i < data.size(); ++i)
    for (const auto& rows : by_class) r.micrographs_by_class.push_back(rows[i]);
  int above90 = 0, above95 = 0;
  for (const MicrographMetrics& mm : r.micrographs) {
    r.macro_precision += mm.precision;
    r.macro_recall += mm.recall;
    r.macro_f1 += mm.f1;
    above90 += mm.precision > 0.90 && mm.recall > 0.90;
    above95 += mm.precision > 0.95 && mm.recall > 0.95;
  }
  const double n = static_cast<double>(r.micrographs.size());
  if (n > 0) {
    r.macro_precision /= n;
    r.macro_recall /= n;
    r.macro_f1 /= n;
    r.share_pr_above_090 = above90 / n;
    r.share_pr_above_095 = above95 / n;
  }
  return r;
}

int drop_truth_outside_image(MicrographPicks& truth) {
  if (truth.width <= 0 || truth.height <= 0) return 0;
  const size_t before = truth.picks.size();
  const double xmax = truth.width - 0.5, ymax = truth.height - 0.5;
  truth.picks.erase(std::remove_if(truth.picks.begin(), truth.picks.end(),
                                   [&](const Pick& p) { return !(p.x >= -0.5 && p.x <= xmax && p.y >= -0.5 && p.y <= ymax); }),
                    truth.picks.end());
  return (int)(before - truth.picks.size());
}

}  // namespace yp::picker
