// pick.cpp: network inputs (whole or tiles), detect, map back, merge (pick.h; docs/picking.md).
#include "picker/pipeline/pick.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "yolo/nms.h"

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

std::vector<int> tile_starts(int length, int tile, int overlap) {
  YP_CHECK(tile > 0 && overlap >= 0 && overlap < tile,
           "tile overlap " + std::to_string(overlap) + " must lie in [0, tile size " + std::to_string(tile) + ")");
  if (length <= tile) return {0};
  std::vector<int> starts;
  for (int s = 0; s + tile < length; s += tile - overlap) starts.push_back(s);
  starts.push_back(length - tile);
  return starts;
}

namespace {

// Ownership boundaries along one axis: tile i owns centres in [bounds[i], bounds[i+1]); the boundary between
// two tiles is the middle of their overlap, so each centre belongs to exactly one tile.
std::vector<double> ownership_bounds(const std::vector<int>& starts, int length, int tile) {
  std::vector<double> b{-1e30};
  for (size_t i = 0; i + 1 < starts.size(); ++i)
    b.push_back(0.5 * (starts[i + 1] + std::min(starts[i] + tile, length)));
  b.push_back(1e30);
  return b;
}

}  // namespace

PreparedMicrograph prepare_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                      const PickOptions& o) {
  const imgproc::Image& raw = micrograph.image;
  YP_CHECK(raw.width > 0 && raw.height > 0, "pick: empty micrograph");
  PreparedMicrograph p;
  p.width = raw.width, p.height = raw.height;
  const yolo::InputPipeline& pipeline = model.input();
  if (o.mode == PickMode::Resize) {
    p.inputs.push_back({yolo::network_input(micrograph, pipeline, model.stride)});
    return p;
  }
  // Tiles see the micrograph at its own resolution: the pipeline without the chain's resize.
  const yolo::ScaledPicture scaled = yolo::scale_picture(micrograph, pipeline, false);
  const int t = pipeline.size, w = scaled.image.width, h = scaled.image.height;
  const std::vector<int> xs = tile_starts(w, t, o.tile_overlap), ys = tile_starts(h, t, o.tile_overlap);
  const std::vector<double> bx = ownership_bounds(xs, w, t), by = ownership_bounds(ys, h, t);
  for (size_t j = 0; j < ys.size(); ++j)
    for (size_t i = 0; i < xs.size(); ++i) {
      PickInput in;
      in.net = yolo::region_input(scaled, xs[i], ys[j], std::min(t, w - xs[i]), std::min(t, h - ys[j]), pipeline,
                                  model.stride);
      in.own_x0 = bx[i] * scaled.scale_x, in.own_x1 = bx[i + 1] * scaled.scale_x;
      in.own_y0 = by[j] * scaled.scale_y, in.own_y1 = by[j + 1] * scaled.scale_y;
      p.inputs.push_back(std::move(in));
    }
  return p;
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

std::vector<Pick> detect_prepared(const PreparedMicrograph& p, const yolo::Detector& model, const PickOptions& o) {
  yolo::NmsOptions nms;
  nms.conf_thres = static_cast<float>(o.floor);
  nms.iou_thres = o.iou;
  nms.agnostic = o.agnostic;
  nms.max_det = o.max_det;
  nms.classes = o.keep_classes;
  std::vector<Pick> picks;
  for (const PickInput& in : p.inputs) {
    const Tensor decoded = model.forward(in.net.input);
    YP_CHECK(decoded.defined() && decoded.dim() == 3 && decoded.size(0) == 1 && decoded.size(2) == 5 + model.nc(),
             "pick: the model should return (1, n_pred, " + std::to_string(5 + model.nc()) + ") predictions");
    const std::vector<yolo::Detection> dets = yolo::non_max_suppression(decoded, nms)[0];
    for (const yolo::Detection& d : dets) {
      const Box<double> b = in.net.to_picture(d);  // micrograph edge coordinates
      const double cx = 0.5 * (b.x1 + b.x2), cy = 0.5 * (b.y1 + b.y2);
      if (cx < in.own_x0 || cx >= in.own_x1 || cy < in.own_y0 || cy >= in.own_y1) continue;
      Pick k;
      k.x = cx - 0.5;  // edge coordinate -> pixel-centre index
      k.y = cy - 0.5;
      k.w = b.x2 - b.x1;
      k.h = b.y2 - b.y1;
      k.cls = d.cls;
      k.confidence = d.conf;
      picks.push_back(k);
    }
  }
  std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.confidence > b.confidence; });
  if (p.inputs.size() > 1) {  // one NMS across tiles for a particle both sides of an ownership boundary saw
    std::vector<Box<double>> boxes;
    std::vector<int> classes;
    for (const Pick& k : picks) boxes.push_back(corners(k)), classes.push_back(k.cls);
    std::vector<Pick> kept;
    for (int64_t i : yolo::greedy_nms(boxes, o.iou, o.agnostic ? nullptr : &classes)) kept.push_back(picks[i]);
    picks.swap(kept);
  }
  std::vector<Pick> inside;
  for (const Pick& k : picks) {
    const double left = k.x + 0.5, right = p.width - 0.5 - k.x, top = k.y + 0.5, bottom = p.height - 0.5 - k.y;
    if (std::min(std::min(left, right), std::min(top, bottom)) < std::max(0.0, o.edge_margin)) continue;
    inside.push_back(k);
  }
  return enforce_min_distance(std::move(inside), o.min_distance);
}

std::vector<Pick> pick_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                  const PickOptions& o) {
  return detect_prepared(prepare_micrograph(micrograph, model, o), model, o);
}

}  // namespace yp::picker
