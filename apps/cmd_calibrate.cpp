// cmd_calibrate.cpp: `yolopick calibrate` - the threshold `pick` uses by default, measured on labelled validation
// micrographs and stored in the model file (apps/calibrate_model.h, picker/pipeline/calibrate.h).
#include <filesystem>

#include "apps/args.h"
#include "apps/calibrate_model.h"
#include "apps/commands.h"
#include "train/dataset.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/model_file.h"

namespace yp::app {

static const char* kCalibrateUsage =
    "usage: yolopick calibrate -m MODEL --data data.yaml [options]\n"
    "       yolopick calibrate -m MODEL --thresholds T,... --how TEXT [-o PATH]\n"
    "example: yolopick calibrate -m runs/klh/best.safetensors --data klh/data.yaml --split val\n"
    "  -m, --model PATH    yolopick model file (.safetensors)\n"
    "  --data PATH         the data set (YOLOv5 data.yaml) whose labelled micrographs calibrate it\n"
    "  --split NAME        which of its splits (default val: never the micrographs a test score is reported on)\n"
    "  --match iou:T | dist:R  one-to-one matching rule, as evaluate's (default iou:0.5)\n"
    "  --marker-radius PX  reach of NAME.excluded.txt / NAME.uncertain.txt beside a label file (default 75)\n"
    "  --apix A            pixel size of the micrographs (A/px), as pick's --apix (needed for PNG/JPEG when the\n"
    "                      model records a scale)\n"
    "  -o PATH             write the calibrated model here (default: MODEL itself, replaced atomically)\n"
    "  --thresholds T,...  store these thresholds (one per class, in [0, 1]) instead of measuring them: operating\n"
    "                      points measured elsewhere, e.g. pooled over the held-out micrographs of a cross-validation,\n"
    "                      where the final model has seen every labelled micrograph\n"
    "  --how TEXT          with --thresholds: how they were measured, stored beside them for people (required)\n"
    "Picks every micrograph of the split exactly as `pick` does with its defaults, scores the picks as `evaluate`\n"
    "does, and stores each class's best-F1 threshold in the model file; `pick` then uses them unless --conf is\n"
    "given (docs/picking.md, Calibrated threshold).\n";

picker::Calibration calibrate_model_file(const CalibrateRequest& q, std::FILE* log) {
  const yolo::Detector model = yolo::load_detector(q.model);
  const train::DatasetSpec spec = train::read_dataset_yaml(q.data);
  if (spec.nc != model.nc())
    throw Error(q.model + ": a model for " + std::to_string(model.nc()) + " classes, " + q.data + " has " +
                std::to_string(spec.nc));
  if (q.split != "train" && q.split != "val" && q.split != "test") throw Error("--split must be train, val or test");
  const std::vector<std::string>& entries = q.split == "train" ? spec.train : q.split == "val" ? spec.val : spec.test;
  if (entries.empty()) throw Error(q.data + ": no '" + q.split + "' split to calibrate on");
  std::vector<picker::LabelledMicrograph> data;
  for (const std::string& image : train::list_images(entries, spec.root))
    data.push_back({image, train::label_path_for(image)});
  if (log)
    std::fprintf(log, "calibrating %s on %zu micrograph(s) of %s '%s', picked as pick picks them, one-to-one %s\n",
                 q.model.c_str(), data.size(), q.data.c_str(), q.split.c_str(), q.options.rule.str().c_str());
  const auto scored = picker::pick_labelled(model, data, q.options);
  const picker::Calibration c =
      picker::choose_thresholds(scored, model.nc(), q.options.rule, q.options.marker_radius);
  if (log) std::fprintf(log, "%s", picker::calibration_table(c, model.names()).c_str());

  int measured = 0;
  for (const picker::ClassCalibration& k : c.classes) measured += k.measured;
  store_thresholds(q.model, q.out, c.thresholds(),
                   "best F1 per class on " + std::to_string(data.size()) + " micrograph(s) of " +
                       std::filesystem::path(q.data).filename().string() + " '" + q.split + "', one-to-one " +
                       q.options.rule.str() + " (" + std::to_string(measured) + " of " + std::to_string(model.nc()) +
                       " classes measured)",
                   log);
  return c;
}

void store_thresholds(const std::string& model, const std::string& out_path, const std::vector<float>& thresholds,
                      const std::string& how, std::FILE* log) {
  yolo::ModelFileContents file = yolo::read_model_file(model);
  if (file.format != "safetensors") throw Error(model + ": calibrate writes yolopick model files (yolopick import first)");
  if (thresholds.size() != file.info.names.size())
    throw Error(model + ": a model for " + std::to_string(file.info.names.size()) + " classes, " +
                std::to_string(thresholds.size()) + " threshold(s) given");
  DType store = DType::F32;
  for (const auto& [name, t] : file.tensors)
    if (t.dtype() == DType::F16) store = DType::F16;
  file.info.conf_thresholds = thresholds;
  file.info.conf_calibration = how;
  const std::string out = out_path.empty() ? model : out_path;
  yolo::write_model_file(out, file.tensors, file.info, store);  // temporary file + rename
  if (log) std::fprintf(log, "wrote %s: pick's default thresholds are now these\n", out.c_str());
}

int cmd_calibrate(const Args& args) {
  CalibrateRequest q;
  std::string match = "iou:0.5", how;
  std::vector<float> thresholds;
  ArgReader r(args, "calibrate");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kCalibrateUsage);
      return 0;
    } else if (r.is("-m", "--model")) q.model = r.value();
    else if (r.is("--data")) q.data = r.value();
    else if (r.is("--split")) q.split = r.value();
    else if (r.is("--match")) match = r.value();
    else if (r.is("--marker-radius")) q.options.marker_radius = r.number();
    else if (r.is("--apix")) q.options.apix = r.number();
    else if (r.is("-o", "--output")) q.out = r.value();
    else if (r.is("--thresholds")) {
      for (const std::string& t : split_char(r.value(), ',')) {
        const double v = parse_double(trim(t), "--thresholds", 0, "threshold");
        if (!(v >= 0 && v <= 1)) throw Error("--thresholds: each must lie in [0, 1], got '" + t + "'");
        thresholds.push_back((float)v);
      }
    } else if (r.is("--how")) how = r.value();
    else r.unknown();
  }
  if (!thresholds.empty()) {
    if (q.model.empty() || how.empty()) throw Error("--thresholds needs -m MODEL and --how TEXT (yolopick calibrate --help)");
    if (!q.data.empty()) throw Error("give --data (measure them) or --thresholds (store them), not both");
    store_thresholds(q.model, q.out, thresholds, how, stdout);
    return 0;
  }
  if (q.model.empty() || q.data.empty()) throw Error("-m MODEL and --data data.yaml are required (yolopick calibrate --help)");
  if (q.options.apix < 0 || q.options.apix > 1000) throw Error("--apix must lie in (0, 1000] A/px");
  q.options.rule = picker::parse_match_rule(match);
  calibrate_model_file(q, stdout);
  return 0;
}

}  // namespace yp::app
