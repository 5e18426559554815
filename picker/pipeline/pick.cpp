// pick.cpp: pre-process, cut into network inputs, detect, map back, merge (pick.h; docs/picking.md).
#include "picker/pipeline/pick.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "imgproc/normalize.h"
#include "yolo/letterbox.h"
#include "yolo/model_file.h"
#include "yolo/nms.h"

namespace yp::picker {

PickModel load_pick_model(const std::string& path) {
  yolo::LoadedModel loaded = yolo::load_model(path);
  std::shared_ptr<yolo::Model> network(std::move(loaded.model));
  network->fuse();
  PickModel m;
  m.nc = network->nc();
  m.input_channels = network->input_channels();
  m.input_size = loaded.info.input_size;
  m.stride = network->max_stride();
  m.names = loaded.info.names;
  if (m.input_channels != 1 && m.input_channels != 3)
    throw Error(path + ": a " + std::to_string(m.input_channels) + "-channel model; picking needs 1 (gray) or 3");
  if (m.input_size <= 0 || m.input_size % m.stride != 0)
    throw Error(path + ": input size " + std::to_string(m.input_size) + " is not a multiple of the model's stride " +
                std::to_string(m.stride));
  if (loaded.info.preprocessing.empty()) {
    m.preprocess.width = m.preprocess.height = m.input_size;
    m.note = "the model stores no pre-processing; using the study's chain resized to " +
             std::to_string(m.input_size) + " px";
  } else {
    try {
      m.preprocess = imgproc::chain_config_from_text(loaded.info.preprocessing);
    } catch (const std::exception& e) {
      throw Error(path + ": stored pre-processing is unreadable: " + e.what());
    }
  }
  m.forward = [network](const Tensor& x) { return network->predict(x); };
  return m;
}

std::vector<int> resolve_classes(const std::vector<std::string>& requested, const PickModel& model,
                                 const std::string& label) {
  if (requested.empty()) return {};
  const bool all_integers = std::all_of(requested.begin(), requested.end(), [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  });
  if (all_integers) {
    std::vector<int> keep;
    for (const std::string& s : requested) {
      const int k = std::atoi(s.c_str());
      if (k >= model.nc)
        throw Error(label + ": --classes asks for class " + s + " but the model has nc = " + std::to_string(model.nc));
      keep.push_back(k);
    }
    return keep;
  }
  std::string have;
  for (const std::string& n : model.names) have += (have.empty() ? "" : ",") + n;
  if ((int)requested.size() != model.nc)
    throw Error(label + ": --classes names " + std::to_string(requested.size()) + " classes but the model has nc = " +
                std::to_string(model.nc) + " (" + have + ")");
  for (size_t k = 0; k < requested.size(); ++k)
    if (requested[k] != model.names[k])
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

NetworkInput make_input(const std::vector<uint8_t>& grey, int width, int x0, int y0, int w, int h,
                        const PickModel& model, bool scaleup) {
  const int c = model.input_channels;
  std::vector<uint8_t> tile((size_t)w * h * c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) tile[((size_t)y * w + x) * c + k] = grey[(size_t)(y0 + y) * width + x0 + x];
  yolo::LetterboxOptions lo;
  lo.target_width = lo.target_height = model.input_size;
  lo.auto_min_rect = false;
  lo.scaleup = scaleup;
  lo.stride = model.stride;
  NetworkInput in;
  in.geometry = yolo::letterbox_geometry(w, h, lo);
  const std::vector<uint8_t> boxed = yolo::letterbox(tile.data(), c, in.geometry, lo.pad_value);
  in.input = yolo::hwc_to_chw_tensor(boxed.data(), in.geometry.output_width, in.geometry.output_height, c);
  in.tile_x = x0, in.tile_y = y0;
  return in;
}

}  // namespace

PreparedMicrograph prepare_micrograph(const imgproc::Image& raw, const PickModel& model, const PickOptions& o) {
  YP_CHECK(raw.width > 0 && raw.height > 0, "pick: empty micrograph");
  PreparedMicrograph p;
  p.width = raw.width, p.height = raw.height;
  imgproc::ChainConfig chain = model.preprocess;
  if (o.mode == PickMode::Tile) chain.resize = false;  // tiles see the micrograph at its own resolution
  const imgproc::Image pre = imgproc::run_chain(raw, chain);
  if (chain.resize && chain.bin_factor > 0) {
    p.scale_x = p.scale_y = chain.bin_factor;  // bin() drops the last width % factor columns
  } else {
    p.scale_x = double(raw.width) / pre.width;
    p.scale_y = double(raw.height) / pre.height;
  }
  const std::vector<uint8_t> grey = imgproc::to_uint8(pre);
  if (o.mode == PickMode::Resize) {
    p.inputs.push_back(make_input(grey, pre.width, 0, 0, pre.width, pre.height, model, true));
    return p;
  }
  const int t = model.input_size;
  const std::vector<int> xs = tile_starts(pre.width, t, o.tile_overlap), ys = tile_starts(pre.height, t, o.tile_overlap);
  const std::vector<double> bx = ownership_bounds(xs, pre.width, t), by = ownership_bounds(ys, pre.height, t);
  for (size_t j = 0; j < ys.size(); ++j)
    for (size_t i = 0; i < xs.size(); ++i) {
      NetworkInput in = make_input(grey, pre.width, xs[i], ys[j], std::min(t, pre.width - xs[i]),
                                   std::min(t, pre.height - ys[j]), model, false);
      in.own_x0 = bx[i], in.own_x1 = bx[i + 1], in.own_y0 = by[j], in.own_y1 = by[j + 1];
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

std::vector<Pick> detect_prepared(const PreparedMicrograph& p, const PickModel& model, const PickOptions& o) {
  yolo::NmsOptions nms;
  nms.conf_thres = static_cast<float>(o.floor);
  nms.iou_thres = o.iou;
  nms.agnostic = o.agnostic;
  nms.max_det = o.max_det;
  nms.classes = o.keep_classes;
  std::vector<Pick> picks;
  for (const NetworkInput& in : p.inputs) {
    const Tensor decoded = model.forward(in.input);
    YP_CHECK(decoded.defined() && decoded.dim() == 3 && decoded.size(0) == 1 && decoded.size(2) == 5 + model.nc,
             "pick: the model should return (1, n_pred, " + std::to_string(5 + model.nc) + ") predictions");
    const yolo::LetterboxGeometry& g = in.geometry;
    // The resize inside the letterbox maps edges by resized / source exactly (pixel centres aligned); YOLOv5's
    // scale_boxes divides by the unrounded ratio r instead, up to half a pixel off. Picks use the exact one.
    const double gx = double(g.resized_width) / g.source_width, gy = double(g.resized_height) / g.source_height;
    const std::vector<yolo::Detection> dets = yolo::non_max_suppression(decoded, nms)[0];
    for (const yolo::Detection& d : dets) {
      // input pixels -> pre-processed image P (edge coordinates)
      const double x1 = (d.x1 - g.pad_left) / gx + in.tile_x, x2 = (d.x2 - g.pad_left) / gx + in.tile_x;
      const double y1 = (d.y1 - g.pad_top) / gy + in.tile_y, y2 = (d.y2 - g.pad_top) / gy + in.tile_y;
      const double cx = 0.5 * (x1 + x2), cy = 0.5 * (y1 + y2);
      if (cx < in.own_x0 || cx >= in.own_x1 || cy < in.own_y0 || cy >= in.own_y1) continue;
      Pick k;
      k.x = cx * p.scale_x - 0.5;  // edge coordinate -> pixel-centre index
      k.y = cy * p.scale_y - 0.5;
      k.w = (x2 - x1) * p.scale_x;
      k.h = (y2 - y1) * p.scale_y;
      k.cls = d.cls;
      k.confidence = d.conf;
      picks.push_back(k);
    }
  }
  std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.confidence > b.confidence; });
  if (p.inputs.size() > 1) {  // one NMS across tiles for a particle both sides of an ownership boundary saw
    std::vector<Pick> kept;
    for (const Pick& c : picks) {
      bool suppressed = false;
      for (const Pick& k : kept)
        if ((o.agnostic || k.cls == c.cls) && box_iou(corners(k), corners(c)) > o.iou) { suppressed = true; break; }
      if (!suppressed) kept.push_back(c);
    }
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

std::vector<Pick> pick_micrograph(const imgproc::Image& raw, const PickModel& model, const PickOptions& o) {
  return detect_prepared(prepare_micrograph(raw, model, o), model, o);
}

}  // namespace yp::picker
