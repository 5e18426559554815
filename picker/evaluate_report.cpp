// evaluate_report.cpp: the terminal table and the CSV/JSON files of an EvaluationReport (evaluate.h).
#include <cstdio>
#include <string>

#include "picker/evaluate.h"
#include "util/text.h"

namespace yp::picker {

static std::string class_name(int cls) { return cls < 0 ? "all" : std::to_string(cls); }

static std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

std::string report_table(const EvaluationReport& r) {
  std::string s;
  char buf[256];
  std::snprintf(buf, sizeof buf, "matching: one-to-one Hungarian, %s; operating threshold: confidence >= %g\n",
                r.rule.str().c_str(), r.threshold);
  s += buf;
  s += "class   truth  picks     TP  precision  recall     F1      AP  best-F1 @conf  centre-err(px)\n";
  auto row = [&](const ClassMetrics& m) {
    std::snprintf(buf, sizeof buf, "%-6s %6d %6d %6d  %9.4f %7.4f %6.4f %7.4f  %7.4f @%.3f  %8.2f\n",
                  class_name(m.cls).c_str(), m.n_truth, m.n_pred, m.tp, m.precision, m.recall, m.f1, m.ap, m.best_f1,
                  m.best_threshold, m.mean_centre_error);
    s += buf;
  };
  for (const ClassMetrics& m : r.per_class) row(m);
  row(r.overall);
  std::snprintf(buf, sizeof buf,
                "micrographs: %zu; macro-average P %.4f R %.4f F1 %.4f; share with P and R > 0.90: %.1f %%, > 0.95: %.1f %%\n",
                r.micrographs.size(), r.macro_precision, r.macro_recall, r.macro_f1, 100 * r.share_pr_above_090,
                100 * r.share_pr_above_095);
  s += buf;
  return s;
}

std::string report_summary_csv(const EvaluationReport& r) {
  std::string s = "class,truth,picks,tp,precision,recall,f1,ap,best_f1,best_threshold,mean_centre_error_px\n";
  auto row = [&](const ClassMetrics& m) {
    s += class_name(m.cls) + "," + std::to_string(m.n_truth) + "," + std::to_string(m.n_pred) + "," + std::to_string(m.tp) +
         "," + fmt(m.precision, 6) + "," + fmt(m.recall, 6) + "," + fmt(m.f1, 6) + "," + fmt(m.ap, 6) + "," +
         fmt(m.best_f1, 6) + "," + fmt(m.best_threshold, 6) + "," + fmt(m.mean_centre_error, 4) + "\n";
  };
  for (const ClassMetrics& m : r.per_class) row(m);
  row(r.overall);
  return s;
}

std::string report_micrographs_csv(const EvaluationReport& r) {
  std::string s = "micrograph,truth,picks,tp,precision,recall,f1\n";
  for (const MicrographMetrics& m : r.micrographs)
    s += m.name + "," + std::to_string(m.n_truth) + "," + std::to_string(m.n_pred) + "," + std::to_string(m.tp) + "," +
         fmt(m.precision, 6) + "," + fmt(m.recall, 6) + "," + fmt(m.f1, 6) + "\n";
  return s;
}

std::string report_curve_csv(const EvaluationReport& r) {
  std::string s = "class,threshold,precision,recall\n";
  auto rows = [&](const ClassMetrics& m) {
    for (const PrPoint& p : m.curve)
      s += class_name(m.cls) + "," + fmt(p.threshold, 6) + "," + fmt(p.precision, 6) + "," + fmt(p.recall, 6) + "\n";
  };
  for (const ClassMetrics& m : r.per_class) rows(m);
  rows(r.overall);
  return s;
}

std::string report_json(const EvaluationReport& r) {
  std::string s = "{\n  \"matching\": \"hungarian " + r.rule.str() + "\",\n  \"ap\": \"all-point interpolated\",\n";
  s += "  \"threshold\": " + fmt(r.threshold, 6) + ",\n  \"classes\": [\n";
  auto obj = [&](const ClassMetrics& m) {
    return "    {\"class\": \"" + class_name(m.cls) + "\", \"truth\": " + std::to_string(m.n_truth) +
           ", \"picks\": " + std::to_string(m.n_pred) + ", \"tp\": " + std::to_string(m.tp) +
           ", \"precision\": " + fmt(m.precision, 6) + ", \"recall\": " + fmt(m.recall, 6) + ", \"f1\": " + fmt(m.f1, 6) +
           ", \"ap\": " + fmt(m.ap, 6) + ", \"best_f1\": " + fmt(m.best_f1, 6) +
           ", \"best_threshold\": " + fmt(m.best_threshold, 6) +
           ", \"mean_centre_error_px\": " + fmt(m.mean_centre_error, 4) + "}";
  };
  for (const ClassMetrics& m : r.per_class) s += obj(m) + ",\n";
  s += obj(r.overall) + "\n  ],\n";
  s += "  \"micrographs\": " + std::to_string(r.micrographs.size()) + ",\n";
  s += "  \"macro\": {\"precision\": " + fmt(r.macro_precision, 6) + ", \"recall\": " + fmt(r.macro_recall, 6) +
       ", \"f1\": " + fmt(r.macro_f1, 6) + "},\n";
  s += "  \"share_pr_above_0.90\": " + fmt(r.share_pr_above_090, 6) + ",\n";
  s += "  \"share_pr_above_0.95\": " + fmt(r.share_pr_above_095, 6) + ",\n  \"per_micrograph\": [\n";
  for (size_t i = 0; i < r.micrographs.size(); ++i) {
    const MicrographMetrics& m = r.micrographs[i];
    s += "    {\"name\": \"" + json_escape(m.name) + "\", \"truth\": " + std::to_string(m.n_truth) + ", \"picks\": " +
         std::to_string(m.n_pred) + ", \"tp\": " + std::to_string(m.tp) + ", \"precision\": " + fmt(m.precision, 6) +
         ", \"recall\": " + fmt(m.recall, 6) + "}" + (i + 1 < r.micrographs.size() ? ",\n" : "\n");
  }
  s += "  ]\n}\n";
  return s;
}

}  // namespace yp::picker
