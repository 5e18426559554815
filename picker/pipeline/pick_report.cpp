// pick_report.cpp: the run's distribution plots, from the outputs of every done micrograph (pick_run.h), so a
// resumed or sharded run plots all of them, not only the last task's share.
#include <filesystem>
#include <limits>

#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/pipeline/pick_run.h"
#include "picker/plot.h"
#include "util/text.h"

namespace yp::picker {

namespace fs = std::filesystem;

void write_distribution_plots(const std::vector<std::string>& done, const std::string& out_dir,
                              const ConfThreshold& conf, const std::vector<std::string>& names, OutputLayout layout) {
  std::vector<double> confidences, per_micrograph;
  for (const std::string& m : done) {
    const MicrographOutputs o = outputs_for(out_dir, m, layout);
    for (const Pick& p : read_cbox(o.cbox).picks) confidences.push_back(p.confidence);
    per_micrograph.push_back((double)read_star_coordinates(o.star, 0).picks.size());
  }
  if (per_micrograph.empty()) return;
  const fs::path dir = fs::path(out_dir) / "DISTR";
  fs::create_directories(dir);
  // One line at the lowest threshold; per-class thresholds are named in its label.
  const std::string threshold = conf.per_class.empty() ? "threshold " + fmt(conf.all, 2)
                                                       : "lowest threshold (" + conf.str(names) + ")";
  write_histogram_png((dir / "confidence.png").string(), confidences, 0, 1, 50,
                      "confidence of every pick (" + std::to_string(confidences.size()) + ")", "confidence",
                      conf.lowest(), threshold);
  double most = 0;
  for (double n : per_micrograph) most = std::max(most, n);
  const int top = std::max(10, (int)most + 1);
  write_histogram_png((dir / "picks_per_micrograph.png").string(), per_micrograph, 0, top, std::min(top, 50),
                      "picks per micrograph (" + std::to_string(per_micrograph.size()) + " micrographs)",
                      conf.per_class.empty() ? "picks >= " + fmt(conf.all, 2) : "picks >= their class threshold", std::numeric_limits<double>::quiet_NaN(), "");
}

}  // namespace yp::picker
