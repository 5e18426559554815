// evaluate_report.cpp: the terminal tables and the CSV/JSON files of an EvaluationReport (evaluate.h).
#include <cmath>
#include <cstdio>
#include <string>

#include "picker/evaluate.h"
#include "util/text.h"

namespace yp::picker {

static std::string class_name(const EvaluationReport& r, int cls) {
  if (cls < 0) return "all";
  if (cls < static_cast<int>(r.class_names.size())) return r.class_names[cls];
  return std::to_string(cls);
}

static std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

static double f1_of(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

// The scopes in report order: each class, then all classes.
static std::vector<const ClassMetrics*> scopes(const EvaluationReport& r) {
  std::vector<const ClassMetrics*> out;
  for (const ClassMetrics& m : r.per_class) out.push_back(&m);
  out.push_back(&r.overall);
  return out;
}

// Per micrograph: a row per class, then its all-classes row.
static std::vector<const MicrographMetrics*> micrograph_rows(const EvaluationReport& r) {
  std::vector<const MicrographMetrics*> rows;
  const size_t per = r.per_class.size();
  for (size_t i = 0; i < r.micrographs.size(); ++i) {
    for (size_t c = 0; c < per && i * per + c < r.micrographs_by_class.size(); ++c)
      rows.push_back(&r.micrographs_by_class[i * per + c]);
    rows.push_back(&r.micrographs[i]);
  }
  return rows;
}

// Thresholds 0.05, 0.10, ..., 0.95 (computed from integers so that 0.15 prints as 0.15).
static std::vector<double> threshold_grid(double step) {
  std::vector<double> out;
  const int n = static_cast<int>(std::lround(1.0 / step));
  for (int i = 1; i < n; ++i) out.push_back(i / double(n));
  return out;
}

std::string report_table(const EvaluationReport& r) {
  std::string s;
  char buf[320];
  std::snprintf(buf, sizeof buf, "matching: one-to-one Hungarian, %s; operating threshold: confidence >= %g\n",
                r.rule.str().c_str(), r.threshold);
  s += buf;
  if (r.n_excluded + r.n_uncertain > 0) {
    std::snprintf(buf, sizeof buf,
                  "marked positions (within %g px): %d excluded (a pick there is a hard-negative FP), %d uncertain "
                  "(picks there ignored)\n",
                  r.marker_radius, r.n_excluded, r.n_uncertain);
    s += buf;
  }
  s += "class   truth  picks     TP  hard-FP  ignored  precision  recall     F1      AP  best-F1 @conf  centre-err(px)\n";
  for (const ClassMetrics* m : scopes(r)) {
    std::snprintf(buf, sizeof buf, "%-6s %6d %6d %6d  %7d  %7d  %9.4f %7.4f %6.4f %7.4f  %7.4f @%.3f  %8.2f\n",
                  class_name(r, m->cls).c_str(), m->n_truth, m->n_pred, m->tp, m->hard_negatives, m->ignored,
                  m->precision, m->recall, m->f1, m->ap, m->best_f1, m->best_threshold, m->mean_centre_error);
    s += buf;
  }
  std::snprintf(buf, sizeof buf,
                "micrographs: %zu; macro-average P %.4f R %.4f F1 %.4f; share with P and R > 0.90: %.1f %%, > 0.95: %.1f %%\n",
                r.micrographs.size(), r.macro_precision, r.macro_recall, r.macro_f1, 100 * r.share_pr_above_090,
                100 * r.share_pr_above_095);
  s += buf;
  return s;
}

std::string report_micrograph_table(const EvaluationReport& r) {
  std::string s = "micrograph            class   truth  picks     TP  hard-FP  ignored      P       R      F1\n";
  char buf[256];
  auto row = [&](const MicrographMetrics& m) {
    std::snprintf(buf, sizeof buf, "%-21s %-6s %6d %6d %6d  %7d  %7d  %6.3f  %6.3f  %6.3f\n", m.name.c_str(),
                  class_name(r, m.cls).c_str(), m.n_truth, m.n_pred, m.tp, m.hard_negatives, m.ignored, m.precision,
                  m.recall, m.f1);
    s += buf;
  };
  for (const MicrographMetrics* m : micrograph_rows(r)) row(*m);
  return s;
}

std::string report_threshold_table(const EvaluationReport& r, double step) {
  const auto all = scopes(r);
  std::string s = "      ", sub = " conf ";
  char buf[128];
  for (const ClassMetrics* m : all) {
    std::snprintf(buf, sizeof buf, "| %-24s ", class_name(r, m->cls).c_str());
    s += buf;
    sub += "| picks   P     R     F1   ";
  }
  s += "\n" + sub + "\n";
  for (double t : threshold_grid(step)) {
    std::snprintf(buf, sizeof buf, " %4.2f ", t);
    s += buf;
    for (const ClassMetrics* m : all) {
      const PrPoint p = point_at_threshold(*m, t);
      std::snprintf(buf, sizeof buf, "| %5d %5.3f %5.3f %5.3f ", p.picks, p.precision, p.recall,
                    f1_of(p.precision, p.recall));
      s += buf;
    }
    s += "\n";
  }
  s += " best ";
  for (const ClassMetrics* m : all) {
    std::snprintf(buf, sizeof buf, "| F1 %5.3f @%-5.3f         ", m->best_f1, m->best_threshold);
    s += buf;
  }
  return s + "\n";
}

std::string report_threshold_csv(const EvaluationReport& r) {
  std::string s = "class,threshold,picks,tp,hard_negatives,precision,recall,f1\n";
  for (const ClassMetrics* m : scopes(r))
    for (double t : threshold_grid(0.05)) {
      const PrPoint p = point_at_threshold(*m, t);
      s += class_name(r, m->cls) + "," + fmt(t, 2) + "," + std::to_string(p.picks) + "," + std::to_string(p.tp) + "," +
           std::to_string(p.hard_negatives) + "," + fmt(p.precision, 6) + "," + fmt(p.recall, 6) + "," +
           fmt(f1_of(p.precision, p.recall), 6) + "\n";
    }
  return s;
}

std::string report_summary_csv(const EvaluationReport& r) {
  std::string s =
      "class,truth,picks,tp,precision,recall,f1,ap,best_f1,best_threshold,mean_centre_error_px,hard_negatives,ignored\n";
  for (const ClassMetrics* m : scopes(r))
    s += class_name(r, m->cls) + "," + std::to_string(m->n_truth) + "," + std::to_string(m->n_pred) + "," +
         std::to_string(m->tp) + "," + fmt(m->precision, 6) + "," + fmt(m->recall, 6) + "," + fmt(m->f1, 6) + "," +
         fmt(m->ap, 6) + "," + fmt(m->best_f1, 6) + "," + fmt(m->best_threshold, 6) + "," +
         fmt(m->mean_centre_error, 4) + "," + std::to_string(m->hard_negatives) + "," + std::to_string(m->ignored) + "\n";
  return s;
}

std::string report_micrographs_csv(const EvaluationReport& r) {
  std::string s = "micrograph,class,truth,picks,tp,hard_negatives,ignored,precision,recall,f1\n";
  auto row = [&](const MicrographMetrics& m) {
    s += m.name + "," + class_name(r, m.cls) + "," + std::to_string(m.n_truth) + "," + std::to_string(m.n_pred) + "," +
         std::to_string(m.tp) + "," + std::to_string(m.hard_negatives) + "," + std::to_string(m.ignored) + "," +
         fmt(m.precision, 6) + "," + fmt(m.recall, 6) + "," + fmt(m.f1, 6) + "\n";
  };
  for (const MicrographMetrics* m : micrograph_rows(r)) row(*m);
  return s;
}

std::string report_curve_csv(const EvaluationReport& r) {
  std::string s = "class,threshold,precision,recall,picks,tp,hard_negatives\n";
  for (const ClassMetrics* m : scopes(r))
    for (const PrPoint& p : m->curve)
      s += class_name(r, m->cls) + "," + fmt(p.threshold, 6) + "," + fmt(p.precision, 6) + "," + fmt(p.recall, 6) + "," +
           std::to_string(p.picks) + "," + std::to_string(p.tp) + "," + std::to_string(p.hard_negatives) + "\n";
  return s;
}

std::string report_json(const EvaluationReport& r) {
  std::string s = "{\n  \"matching\": \"hungarian " + r.rule.str() + "\",\n  \"ap\": \"all-point interpolated\",\n";
  s += "  \"threshold\": " + fmt(r.threshold, 6) + ",\n";
  s += "  \"marker_radius_px\": " + fmt(r.marker_radius, 3) + ", \"excluded\": " + std::to_string(r.n_excluded) +
       ", \"uncertain\": " + std::to_string(r.n_uncertain) + ",\n  \"classes\": [\n";
  const auto all = scopes(r);
  for (size_t i = 0; i < all.size(); ++i) {
    const ClassMetrics& m = *all[i];
    s += "    {\"class\": \"" + json_escape(class_name(r, m.cls)) + "\", \"truth\": " + std::to_string(m.n_truth) +
         ", \"picks\": " + std::to_string(m.n_pred) + ", \"tp\": " + std::to_string(m.tp) +
         ", \"hard_negatives\": " + std::to_string(m.hard_negatives) + ", \"ignored\": " + std::to_string(m.ignored) +
         ", \"precision\": " + fmt(m.precision, 6) + ", \"recall\": " + fmt(m.recall, 6) + ", \"f1\": " + fmt(m.f1, 6) +
         ", \"ap\": " + fmt(m.ap, 6) + ", \"best_f1\": " + fmt(m.best_f1, 6) +
         ", \"best_threshold\": " + fmt(m.best_threshold, 6) +
         ", \"mean_centre_error_px\": " + fmt(m.mean_centre_error, 4) + "}" + (i + 1 < all.size() ? ",\n" : "\n");
  }
  s += "  ],\n";
  s += "  \"micrographs\": " + std::to_string(r.micrographs.size()) + ",\n";
  s += "  \"macro\": {\"precision\": " + fmt(r.macro_precision, 6) + ", \"recall\": " + fmt(r.macro_recall, 6) +
       ", \"f1\": " + fmt(r.macro_f1, 6) + "},\n";
  s += "  \"share_pr_above_0.90\": " + fmt(r.share_pr_above_090, 6) + ",\n";
  s += "  \"share_pr_above_0.95\": " + fmt(r.share_pr_above_095, 6) + ",\n  \"per_micrograph\": [\n";
  const std::vector<const MicrographMetrics*> rows = micrograph_rows(r);
  for (size_t i = 0; i < rows.size(); ++i) {
    const MicrographMetrics& m = *rows[i];
    s += "    {\"name\": \"" + json_escape(m.name) + "\", \"class\": \"" + json_escape(class_name(r, m.cls)) +
         "\", \"truth\": " + std::to_string(m.n_truth) + ", \"picks\": " + std::to_string(m.n_pred) +
         ", \"tp\": " + std::to_string(m.tp) + ", \"hard_negatives\": " + std::to_string(m.hard_negatives) +
         ", \"ignored\": " + std::to_string(m.ignored) + ", \"precision\": " + fmt(m.precision, 6) +
         ", \"recall\": " + fmt(m.recall, 6) + ", \"f1\": " + fmt(m.f1, 6) + "}" + (i + 1 < rows.size() ? ",\n" : "\n");
  }
  s += "  ]\n}\n";
  return s;
}

}  // namespace yp::picker
