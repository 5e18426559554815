// cmd_evaluate.cpp: `yolopick evaluate` - score picks against ground truth (picker/evaluate.h for the rules).
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/run_record.h"
#include "imgproc/image_io.h"
#include "picker/evaluate.h"
#include "picker/formats_text.h"
#include "picker/pick_io.h"
#include "picker/plot.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::app {

static const char* kEvaluateUsage =
    "usage: yolopick evaluate --pred DIR --truth DIR [options]\n"
    "example: yolopick evaluate --pred picks --truth sim --match dist:20 --names top,side -o eval\n"
    "  --match iou:T | dist:R  one-to-one Hungarian matching rule (default iou:0.5)\n"
    "  -t, --conf T            operating confidence threshold (default 0.25)\n"
    "  --box PX                box size for formats without one (STAR); needed for iou: with STAR files\n"
    "  --size WxH              image size for YOLO .txt files without an image beside them\n"
    "  --pred-format EXT       read only this format from --pred (star, box, cbox, csv, txt)\n"
    "  --truth-format EXT      the same for --truth\n"
    "  --names A,B,...         class names for the reports (e.g. top,side)\n"
    "  --marker-radius PX      reach of the marked positions below (default 75)\n"
    "  --no-markers            ignore NAME.excluded.txt / NAME.uncertain.txt\n"
    "  --images DIR            also draw NAME_eval.png per micrograph (TP/FP/hard negative/ignored/missed) on the\n"
    "                          micrograph NAME.{mrc,png,jpg} found in DIR\n"
    "  --png-size PX           longer side of those pictures (default 1024; 0 = full size)\n"
    "  -o DIR                  where to write summary.csv, micrographs.csv, thresholds.csv, pr_curve.csv,\n"
    "                          metrics.json, pr_curve.png (default ./evaluation)\n"
    "Files pair up by micrograph name (suffixes _autopick/_manualpick removed). Formats: .star .box .cbox .csv .txt\n"
    "Marked positions beside a truth file NAME (\"cx cy note\" lines, pixels): NAME.excluded.txt = objects that\n"
    "must not be picked (an unmatched pick within PX is a hard-negative false positive), NAME.uncertain.txt =\n"
    "ambiguous objects (unmatched picks within PX are ignored; truths within PX are optional).\n";

int cmd_evaluate(const Args& args) {
  std::string pred_dir, truth_dir, out = "evaluation", match = "iou:0.5";
  double conf = 0.25, marker_radius = picker::kDefaultMarkerRadius;
  bool markers = true;
  std::string images_dir;
  int png_size = 1024;
  std::vector<std::string> names;
  picker::ReadOptions pred_opt, truth_opt;
  ArgReader cli(args, "evaluate");
  while (cli.next()) {
    if (cli.help()) {
      std::printf("%s", kEvaluateUsage);
      return 0;
    } else if (cli.is("--pred")) pred_dir = cli.value();
    else if (cli.is("--truth")) truth_dir = cli.value();
    else if (cli.is("--match")) match = cli.value();
    else if (cli.is("--conf", "-t")) conf = cli.number();
    else if (cli.is("--box")) pred_opt.box_size = truth_opt.box_size = cli.number();
    else if (cli.is("--size")) {
      std::tie(pred_opt.width, pred_opt.height) = cli.int_pair(1, 1 << 20);
      truth_opt.width = pred_opt.width;
      truth_opt.height = pred_opt.height;
    } else if (cli.is("--pred-format")) pred_opt.only_ext = "." + cli.value();
    else if (cli.is("--truth-format")) truth_opt.only_ext = "." + cli.value();
    else if (cli.is("--names")) names = split_char(cli.value(), ',');
    else if (cli.is("--marker-radius")) marker_radius = cli.number();
    else if (cli.is("--no-markers")) markers = false;
    else if (cli.is("--images")) images_dir = cli.value();
    else if (cli.is("--png-size")) png_size = int(cli.number());
    else if (cli.is("-o", "--output")) out = cli.value();
    else cli.unknown();
  }
  if (pred_dir.empty() || truth_dir.empty()) throw Error("--pred DIR and --truth DIR are required (yolopick evaluate --help)");
  const picker::MatchRule rule = picker::parse_match_rule(match);
  auto truth = picker::read_pick_folder(truth_dir, truth_opt);
  int outside = 0;
  for (auto& [key, t] : truth) outside += picker::drop_truth_outside_image(t);
  if (outside) std::printf("note: %d truth point(s) lie outside their micrograph: not counted\n", outside);
  const auto preds = picker::read_pick_folder(pred_dir, pred_opt);
  if (truth.empty()) throw Error(truth_dir + ": no pick files (.star .box .cbox .csv .txt)");

  std::vector<picker::MicrographPair> pairs;
  int unmatched_pred_files = 0;
  for (const auto& [key, t] : truth) {
    picker::MicrographPair mp{key, t.picks, {}};
    const auto it = preds.find(key);
    if (it != preds.end()) mp.preds = it->second.picks;
    if (markers) {
      const std::filesystem::path base = std::filesystem::path(truth_dir) / key;
      if (std::filesystem::exists(base.string() + ".excluded.txt"))
        mp.excluded = picker::read_marked_positions(base.string() + ".excluded.txt");
      if (std::filesystem::exists(base.string() + ".uncertain.txt"))
        mp.uncertain = picker::read_marked_positions(base.string() + ".uncertain.txt");
    }
    pairs.push_back(std::move(mp));
  }
  for (const auto& [key, p] : preds) unmatched_pred_files += truth.count(key) == 0;
  if (rule.kind == picker::MatchRule::Kind::IoU)
    for (const auto& mp : pairs)
      for (const auto* set : {&mp.truth, &mp.preds})
        for (const auto& p : *set)
          if (p.w <= 0 || p.h <= 0)
            throw Error("micrograph " + mp.name + " has picks without a box size (STAR?): pass --box PX or use --match dist:R");

  picker::EvaluationReport r = picker::evaluate_picks(pairs, rule, conf, marker_radius);
  r.class_names = names;
  std::printf("truth: %zu micrographs from %s; predictions: %zu files from %s", truth.size(), truth_dir.c_str(),
              preds.size(), pred_dir.c_str());
  if (unmatched_pred_files) std::printf(" (%d without truth, ignored)", unmatched_pred_files);
  std::printf("\n%s", picker::report_table(r).c_str());
  constexpr size_t kMaxMicrographRows = 12;  // beyond that the terminal table is noise: micrographs.csv has it
  if (r.micrographs.size() <= kMaxMicrographRows) std::printf("\n%s", picker::report_micrograph_table(r).c_str());
  std::printf("\nP/R/F1 by confidence threshold (picks counted, P, R, F1; thresholds.csv has steps of 0.05):\n%s",
              picker::report_threshold_table(r).c_str());

  std::string name_list;
  for (const std::string& n : names) name_list += (name_list.empty() ? "" : ",") + n;
  record_run(out, "evaluate",
             {{"pred", std::filesystem::weakly_canonical(std::filesystem::absolute(pred_dir)).string()},
              {"truth", std::filesystem::weakly_canonical(std::filesystem::absolute(truth_dir)).string()},
              {"match", match},
              {"conf", setting(conf)},
              {"box", setting(pred_opt.box_size)},
              {"pred_format", pred_opt.only_ext},
              {"truth_format", truth_opt.only_ext},
              {"names", name_list},
              {"markers", markers ? setting(marker_radius) : "off"}},
             args, false, false);
  const std::filesystem::path o(out);
  write_text_file_atomic((o / "summary.csv").string(), picker::report_summary_csv(r));
  write_text_file_atomic((o / "micrographs.csv").string(), picker::report_micrographs_csv(r));
  write_text_file_atomic((o / "pr_curve.csv").string(), picker::report_curve_csv(r));
  write_text_file_atomic((o / "thresholds.csv").string(), picker::report_threshold_csv(r));
  write_text_file_atomic((o / "metrics.json").string(), picker::report_json(r));
  std::vector<picker::CurveSeries> series;
  auto add = [&](const picker::ClassMetrics& m) {
    const std::string name = m.cls < 0 ? "all" : m.cls < int(names.size()) ? names[m.cls] : "class " + std::to_string(m.cls);
    picker::CurveSeries s{name, imgproc::class_colour(m.cls), {}};
    char buf[32];
    std::snprintf(buf, sizeof buf, " (AP %.3f)", m.ap);
    s.label += buf;
    for (const auto& p : m.curve) s.recall_precision.emplace_back(p.recall, p.precision);
    series.push_back(std::move(s));
  };
  for (const auto& m : r.per_class) add(m);
  add(r.overall);
  picker::write_pr_curve_png((o / "pr_curve.png").string(), series, "PR curve, Hungarian " + rule.str());
  if (!images_dir.empty()) {
    int drawn = 0;
    for (const auto& mp : pairs) {
      std::string image;
      for (const char* ext : {".mrc", ".png", ".jpg", ".jpeg"})
        if (image.empty() && std::filesystem::exists(std::filesystem::path(images_dir) / (mp.name + ext)))
          image = (std::filesystem::path(images_dir) / (mp.name + ext)).string();
      if (image.empty()) {
        std::printf("no micrograph for %s in %s: no picture\n", mp.name.c_str(), images_dir.c_str());
        continue;
      }
      picker::write_evaluation_png((o / (mp.name + "_eval.png")).string(), imgproc::read_image(image).image, mp,
                                   picker::micrograph_outcomes(mp, rule, conf, marker_radius), png_size, names);
      ++drawn;
    }
    std::printf("drew %d evaluation picture(s) NAME_eval.png\n", drawn);
  }
  std::printf("wrote %s/{summary.csv, micrographs.csv, thresholds.csv, pr_curve.csv, metrics.json, pr_curve.png}\n",
              out.c_str());
  return 0;
}

}  // namespace yp::app
