// pick.cpp: network inputs (whole or tiles), detect, map back, merge (pick.h; docs/picking.md).
#include "picker/pipeline/pick.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/text.h"
#include "yolo/nms.h"
#include "yolo/tta.h"

namespace yp::picker {

std::vector<int> resolve_classes(const std::vector<std::string>& requested, const yolo::Detector& model,
                                 const std::string& label) {
  if (requested.empty()) return {};
  const bool all_integers = std::all_of(requested.begin(), requested.end(), [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  });
  if (all_integers) {
    std::vector<int> keep;
    for (const std::string& s : requested) {
      const int k = std::atoi(s.c_str());
      if (k >= model.nc())
        throw Error(label + ": --classes asks for class " + s + " but the model has nc = " + std::to_string(model.nc()));
      keep.push_back(k);
    }
    return keep;
  }
  std::string have;
  for (const std::string& n : model.names()) have += (have.empty() ? "" : ",") + n;
  if ((int)requested.size() != model.nc())
    throw Error(label + ": --classes names " + std::to_string(requested.size()) + " classes but the model has nc = " +
                std::to_string(model.nc()) + " (" + have + ")");
  for (size_t k = 0; k < requested.size(); ++k)
    if (requested[k] != model.names()[k])
      throw Error(label + ": --classes expects class " + std::to_string(k) + " = '" + requested[k] +
                  "' but the model's classes are " + have);
  return {};
}

double ConfThreshold::lowest() const {
  double low = all;
  if (!per_class.empty()) low = *std::min_element(per_class.begin(), per_class.end());
  return low;
}

std::string ConfThreshold::str(const std::vector<std::string>& names) const {
  if (per_class.empty()) return fmt(all, 3);
  std::string s;
  for (size_t k = 0; k < per_class.size(); ++k)
    s += (k ? ", " : "") + (k < names.size() ? names[k] : "class " + std::to_string(k)) + " " + fmt(per_class[k], 3);
  return s;
}

ConfThreshold default_conf_threshold(const yolo::ModelFileInfo& model, double cli, std::string* source) {
  if (cli >= 0) {
    if (source) *source = model.conf_thresholds.empty() ? "--conf" : "--conf, over the model's calibrated thresholds";
    return ConfThreshold(cli);
  }
  if (model.conf_thresholds.empty()) {
    if (source) *source = "default: the model records no calibrated thresholds";
    return ConfThreshold();
  }
  ConfThreshold t;
  t.per_class.assign(model.conf_thresholds.begin(), model.conf_thresholds.end());
  if (source)
    *source = "calibrated, from the model file" + (model.conf_calibration.empty() ? "" : ": " + model.conf_calibration);
  return t;
}

PreparedMicrograph prepare_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                      const PickOptions& o) {
  YP_CHECK(micrograph.image.width > 0 && micrograph.image.height > 0, "pick: empty micrograph");
  yolo::InputLayout layout;
  layout.tiles = o.mode == PickMode::Tile;
  layout.overlap = o.tile_overlap;
  return yolo::picture_inputs(micrograph, model.input(), model.stride, layout);
}

std::vector<Pick> enforce_min_distance(std::vector<Pick> picks, double distance) {
  std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.confidence > b.confidence; });
  if (distance <= 0) return picks;
  std::vector<Pick> kept;
  const double d2 = distance * distance;
  for (const Pick& p : picks) {
    bool near = false;
    for (const Pick& k : kept)
      if ((p.x - k.x) * (p.x - k.x) + (p.y - k.y) * (p.y - k.y) < d2) { near = true; break; }
    if (!near) kept.push_back(p);
  }
  return kept;
}

std::vector<Pick> detect_prepared(const PreparedMicrograph& p, const yolo::Detector& model, const PickOptions& o,
                                  yolo::NmsCapped* capped) {
  yolo::NmsOptions nms;
  nms.conf_thres = static_cast<float>(o.floor);
  nms.iou_thres = o.iou;
  nms.agnostic = o.agnostic;
  nms.max_det = o.max_det;
  nms.classes = o.keep_classes;
  std::vector<std::vector<yolo::Detection>> per_input;
  for (const yolo::NetworkInput& in : p.inputs) {
    if (o.tta) {
      per_input.push_back(yolo::detect_tta(model.forward, in.input, nms, capped));
      continue;
    }
    const Tensor decoded = model.forward(in.input);
    YP_CHECK(decoded.defined() && decoded.dim() == 3 && decoded.size(0) == 1 && decoded.size(2) == 5 + model.nc(),
             "pick: the model should return (1, n_pred, " + std::to_string(5 + model.nc()) + ") predictions");
    per_input.push_back(yolo::non_max_suppression(decoded, nms, capped)[0]);
  }
  std::vector<Pick> picks;
  for (const yolo::DetectionRef& r : yolo::merge_detections(p, per_input, o.iou, o.agnostic)) {
    const yolo::Detection& d = per_input[r.input][r.index];
    const Box<double> b = p.inputs[r.input].to_picture(d);  // micrograph edge coordinates
    Pick k;
    k.x = 0.5 * (b.x1 + b.x2) - 0.5;  // edge coordinate -> pixel-centre index
    k.y = 0.5 * (b.y1 + b.y2) - 0.5;
    k.w = b.x2 - b.x1;
    k.h = b.y2 - b.y1;
    k.cls = d.cls;
    k.confidence = d.conf;
    const double left = k.x + 0.5, right = p.width - 0.5 - k.x, top = k.y + 0.5, bottom = p.height - 0.5 - k.y;
    if (std::min(std::min(left, right), std::min(top, bottom)) < std::max(0.0, o.edge_margin)) continue;
    picks.push_back(k);
  }
  return enforce_min_distance(std::move(picks), o.min_distance);
}

std::vector<Pick> pick_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                  const PickOptions& o, yolo::NmsCapped* capped) {
  return detect_prepared(prepare_micrograph(micrograph, model, o), model, o, capped);
}

std::string cap_warning(const std::string& micrograph, const yolo::NmsCapped& c, const PickOptions& o, int inputs) {
  if (!c.any()) return "";
  char floor[32];
  std::snprintf(floor, sizeof floor, "%g", o.floor);
  std::string s = "warning: " + micrograph + ": a cap was reached in " + std::to_string(c.images) + " of " +
                  std::to_string(inputs) + " network input(s): " + std::to_string(c.boxes) + " box(es) above the floor " +
                  floor + " beyond --max-det " + std::to_string(o.max_det);
  if (c.candidates > 0) s += " and " + std::to_string(c.candidates) + " candidate(s) beyond NMS's max_nms";
  char best[32];
  std::snprintf(best, sizeof best, "%.2f", c.best);
  return s + " were dropped (scores up to " + best + "); raise --max-det (or --floor) so a crowded micrograph keeps " +
         "every particle";
}

}  // namespace yp::picker
