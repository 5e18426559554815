// input_pipeline.cpp: pictures to network inputs by the recorded rule (input_pipeline.h).
#include "yolo/input_pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "imgproc/chain.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"
#include "yolo/nms.h"

namespace yp::yolo {

namespace {

// The picture's values as 8-bit pixels (k / 255 in float), as rule yolov5 sees them.
void quantise_to_8_bit(imgproc::Image& image) {
  const std::vector<uint8_t> bytes = imgproc::to_uint8(image);
  for (size_t i = 0; i < bytes.size(); ++i) image.data[i] = bytes[i] / 255.f;
}

// Bicubic, antialiased, clamped to [0, 1] (bicubic overshoots at edges): rule letterbox's resize.
imgproc::Image resize_unit_range(const imgproc::Image& image, int width, int height) {
  imgproc::Image out = imgproc::resize_bicubic(image, width, height, true);
  for (float& v : out.data) v = std::clamp(v, 0.0f, 1.0f);
  return out;
}

std::string number(double x, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

std::string missing_pixel_size(const InputPipeline& p) {
  return "the picture states no pixel size and the model works at " + number(p.pixel_size) +
         " A/px: give --apix (A per pixel of the micrographs)";
}

// Ownership boundaries along one axis: tile i owns centres in [bounds[i], bounds[i+1]); the boundary between
// two tiles is the middle of their overlap, so each centre belongs to exactly one tile.
std::vector<double> ownership_bounds(const std::vector<int>& starts, int length, int tile) {
  std::vector<double> b{-1e30};
  for (size_t i = 0; i + 1 < starts.size(); ++i) b.push_back(0.5 * (starts[i + 1] + std::min(starts[i] + tile, length)));
  b.push_back(1e30);
  return b;
}

}  // namespace

bool operator==(const InputPipeline& a, const InputPipeline& b) {
  return a.rule == b.rule && a.chain == b.chain && a.size == b.size && a.channels == b.channels &&
         a.pixel_size == b.pixel_size && a.particle_diameter == b.particle_diameter;
}

const char* input_rule_name(InputRule rule) { return rule == InputRule::Letterbox ? "letterbox" : "yolov5"; }

InputRule parse_input_rule(const std::string& name, const std::string& label) {
  if (name == "letterbox") return InputRule::Letterbox;
  if (name == "yolov5") return InputRule::Yolov5;
  throw Error(label + ": unknown input rule '" + name + "' (this build knows letterbox and yolov5)");
}

std::string input_note(const InputPipeline& p, const std::string& model_label) {
  if (p.rule == InputRule::Yolov5)
    return model_label + " records no input pipeline (a YOLOv5 checkpoint or an imported file): pictures go in as "
           "they are, YOLOv5's letterbox to " + std::to_string(p.size) + " px, no pre-processing";
  if (!p.scaled())
    return model_label + " records no physical scale: each micrograph is fitted whole into " + std::to_string(p.size) +
           " px as its training did, whatever its pixel size (no rescaling)";
  return "";
}

std::string scale_text(const InputPipeline& p) {
  if (!p.scaled()) return "no physical scale recorded";
  std::string s = number(p.pixel_size) + " A/px at the network";
  if (p.particle_diameter > 0)
    s += ", particle " + number(p.particle_diameter) + " A = " + number(p.particle_pixels()) + " px";
  return s;
}

void set_pixel_size(imgproc::LoadedImage& picture, double apix, const InputPipeline& p, const std::string& label) {
  if (apix > 0) picture.pixel_size = apix;
  if (!p.scaled()) return;
  if (!(picture.pixel_size > 0))
    throw Error(label + ": " + missing_pixel_size(p));
  if (picture.pixel_size > 2 * p.pixel_size)
    throw Error(label + ": its pixels (" + number(picture.pixel_size) + " A) are " +
                number(picture.pixel_size / p.pixel_size, 2) + "x coarser than the model's (" + number(p.pixel_size) +
                " A/px): upsampled, it cannot show the detail the model learned from (more than 2x is refused); "
                "check --apix or use a model trained at a coarser scale");
}

std::pair<int, int> scaled_size(int width, int height, double picture_pixel_size, const InputPipeline& p) {
  YP_CHECK(p.scaled() && picture_pixel_size > 0, "input: scaled_size needs both pixel sizes");
  const double f = picture_pixel_size / p.pixel_size;
  const double w = std::round(width * f), h = std::round(height * f);
  YP_CHECK(w >= 1 && h >= 1 && w * h <= double(imgproc::kMaxPixels),
           "input: a " + std::to_string(width) + " x " + std::to_string(height) + " picture at " +
               number(picture_pixel_size) + " A/px becomes " + number(w, 6) + " x " + number(h, 6) + " px at " +
               number(p.pixel_size) + " A/px");
  return {int(w), int(h)};
}

int default_tile_overlap(const InputPipeline& p) {
  const int overlap = p.particle_pixels() > 0 ? std::max(32, int(std::ceil(1.5 * p.particle_pixels()))) : 256;
  return std::min(overlap, p.size / 2);
}

void set_chain(InputPipeline& p, const std::string& steps) {
  p.rule = InputRule::Letterbox;
  if (steps == "off") {
    p.chain.clear();
    return;
  }
  imgproc::ChainConfig c = steps == "default" || p.chain.empty() ? imgproc::ChainConfig{}
                                                                  : imgproc::chain_config_from_text(p.chain);
  if (steps != "default") imgproc::set_steps(c, steps);
  c.width = c.height = p.size;
  p.chain = imgproc::to_text(c);
}

ScaledPicture scale_picture(const imgproc::LoadedImage& picture, const InputPipeline& p, bool chain_resize) {
  const imgproc::Image& raw = picture.image;
  YP_CHECK(raw.width > 0 && raw.height > 0, "input: empty picture");
  YP_CHECK(p.rule == InputRule::Letterbox || p.chain.empty(), "input: rule yolov5 runs no pre-processing chain");
  const bool from_mrc = picture.format == "mrc";
  int width = raw.width, height = raw.height;  // at the record's scale
  if (p.scaled()) {
    if (!(picture.pixel_size > 0)) throw Error("input: " + missing_pixel_size(p));
    std::tie(width, height) = scaled_size(raw.width, raw.height, picture.pixel_size, p);
  }
  const bool rescale = width != raw.width || height != raw.height;
  ScaledPicture s;
  if (p.chain.empty()) {
    s.image = imgproc::to_unit_range(raw, from_mrc);
    if (rescale) s.image = resize_unit_range(s.image, width, height);
    s.scale_x = double(raw.width) / s.image.width;
    s.scale_y = double(raw.height) / s.image.height;
  } else {
    imgproc::ChainConfig c = imgproc::chain_config_from_text(p.chain);
    if (p.scaled()) {  // the record's scale replaces the chain's own resize
      c.resize = rescale;
      c.bin_factor = 0;
      c.width = width, c.height = height;
    } else if (!chain_resize) {
      c.resize = false;
    }
    imgproc::Image chained = imgproc::run_chain(raw, c);
    if (c.resize && c.bin_factor > 0) {
      s.scale_x = s.scale_y = c.bin_factor;  // bin() drops the last width % factor columns
    } else {
      s.scale_x = double(raw.width) / chained.width;
      s.scale_y = double(raw.height) / chained.height;
    }
    s.image = c.normalize ? std::move(chained) : imgproc::to_unit_range(chained, from_mrc);
  }
  if (p.rule == InputRule::Yolov5) quantise_to_8_bit(s.image);
  return s;
}

LetterboxGeometry input_geometry(int width, int height, const InputPipeline& p, int stride, bool square, bool scaleup) {
  LetterboxOptions o;
  o.stride = stride;
  o.scaleup = scaleup;
  if (p.rule == InputRule::Letterbox) {
    o.target_width = o.target_height = p.size;
    o.auto_min_rect = false;
  } else {
    o.target_width = o.target_height = stride_multiple(p.size, stride);
    o.auto_min_rect = !square;
  }
  return letterbox_geometry(width, height, o);
}

imgproc::Image resize_for_input(imgproc::Image image, const LetterboxGeometry& g, InputRule rule) {
  if (image.width == g.resized_width && image.height == g.resized_height) return image;
  if (rule == InputRule::Letterbox) return resize_unit_range(image, g.resized_width, g.resized_height);
  const std::vector<uint8_t> bytes = imgproc::to_uint8(image);
  const std::vector<uint8_t> resized =
      resize_bilinear(bytes.data(), image.width, image.height, 1, g.resized_width, g.resized_height);
  imgproc::Image out(g.resized_width, g.resized_height);
  for (size_t i = 0; i < resized.size(); ++i) out.data[i] = resized[i] / 255.f;
  return out;
}

void write_letterboxed(const imgproc::Image& src, int src_x, int src_y, const LetterboxGeometry& g, int channels,
                       float* dst) {
  YP_CHECK(src_x >= 0 && src_y >= 0 && src_x + g.resized_width <= src.width && src_y + g.resized_height <= src.height,
           "input: the region lies outside the picture");
  const size_t plane = static_cast<size_t>(g.output_width) * g.output_height;
  std::fill(dst, dst + plane, kPadGray);
  for (int y = 0; y < g.resized_height; ++y)
    std::memcpy(dst + static_cast<size_t>(y + g.pad_top) * g.output_width + g.pad_left, src.row(src_y + y) + src_x,
                sizeof(float) * g.resized_width);
  for (int c = 1; c < channels; ++c) std::memcpy(dst + c * plane, dst, sizeof(float) * plane);
}

Box<double> NetworkInput::to_picture(const Detection& d) const {
  const LetterboxGeometry& g = geometry;
  const double gx = double(g.resized_width) / g.source_width, gy = double(g.resized_height) / g.source_height;
  return {((d.x1 - g.pad_left) / gx + region_x) * scale_x, ((d.y1 - g.pad_top) / gy + region_y) * scale_y,
          ((d.x2 - g.pad_left) / gx + region_x) * scale_x, ((d.y2 - g.pad_top) / gy + region_y) * scale_y};
}

NetworkInput network_input(const imgproc::LoadedImage& picture, const InputPipeline& p, int stride, bool square) {
  YP_CHECK(p.channels == 1 || p.channels == 3, "input: " + std::to_string(p.channels) + " channels (1 or 3 are fed)");
  YP_CHECK(!p.scaled(), "input: a record with a physical scale is tiled (picture_inputs), never fitted whole");
  if (p.rule == InputRule::Yolov5 && p.channels == 3 && !picture.rgb.empty()) {
    // A colour picture for an RGB network: detect.py's letterbox of the R, G, B bytes.
    const imgproc::Image& im = picture.image;
    YP_CHECK(picture.rgb.size() == im.size() * 3, "input: colour and gray planes of the picture disagree");
    NetworkInput in;
    in.geometry = input_geometry(im.width, im.height, p, stride, square);
    const std::vector<uint8_t> boxed = letterbox(picture.rgb.data(), 3, in.geometry);
    in.input = hwc_to_chw_tensor(boxed.data(), in.geometry.output_width, in.geometry.output_height, 3);
    return in;
  }
  ScaledPicture s = scale_picture(picture, p);
  NetworkInput in;
  in.geometry = input_geometry(s.image.width, s.image.height, p, stride, square);
  in.scale_x = s.scale_x, in.scale_y = s.scale_y;
  const imgproc::Image resized = resize_for_input(std::move(s.image), in.geometry, p.rule);
  in.input = Tensor::empty({1, p.channels, in.geometry.output_height, in.geometry.output_width});
  write_letterboxed(resized, 0, 0, in.geometry, p.channels, in.input.data<float>());
  return in;
}

NetworkInput region_input(const ScaledPicture& scaled, int x, int y, int width, int height, const InputPipeline& p,
                          int stride) {
  NetworkInput in;
  in.geometry = input_geometry(width, height, p, stride, true, false);
  YP_CHECK(in.geometry.resized_width == width && in.geometry.resized_height == height,
           "input: a region larger than the input size (" + std::to_string(p.size) + " px) would be shrunk");
  in.region_x = x, in.region_y = y;
  in.scale_x = scaled.scale_x, in.scale_y = scaled.scale_y;
  in.input = Tensor::empty({1, p.channels, in.geometry.output_height, in.geometry.output_width});
  write_letterboxed(scaled.image, x, y, in.geometry, p.channels, in.input.data<float>());
  return in;
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

PictureInputs tile_inputs(const ScaledPicture& scaled, int width, int height, const InputPipeline& p, int stride,
                          int overlap) {
  PictureInputs out;
  out.width = width, out.height = height;
  const int t = p.size, w = scaled.image.width, h = scaled.image.height;
  const std::vector<int> xs = tile_starts(w, t, overlap), ys = tile_starts(h, t, overlap);
  const std::vector<double> bx = ownership_bounds(xs, w, t), by = ownership_bounds(ys, h, t);
  for (size_t j = 0; j < ys.size(); ++j)
    for (size_t i = 0; i < xs.size(); ++i) {
      NetworkInput in = region_input(scaled, xs[i], ys[j], std::min(t, w - xs[i]), std::min(t, h - ys[j]), p, stride);
      in.owned = {bx[i] * scaled.scale_x, by[j] * scaled.scale_y, bx[i + 1] * scaled.scale_x, by[j + 1] * scaled.scale_y};
      out.inputs.push_back(std::move(in));
    }
  return out;
}

PictureInputs picture_inputs(const imgproc::LoadedImage& picture, const InputPipeline& p, int stride,
                             const InputLayout& layout) {
  if (!p.scaled() && !layout.tiles) {
    PictureInputs out;
    out.width = picture.image.width, out.height = picture.image.height;
    out.inputs.push_back(network_input(picture, p, stride, layout.square));
    return out;
  }
  YP_CHECK(p.rule == InputRule::Letterbox, "input: tiles need rule letterbox (the picture at a known scale)");
  const int overlap = layout.overlap >= 0 ? layout.overlap : default_tile_overlap(p);
  return tile_inputs(scale_picture(picture, p, false), picture.image.width, picture.image.height, p, stride, overlap);
}

std::vector<DetectionRef> merge_detections(const PictureInputs& inputs,
                                           const std::vector<std::vector<Detection>>& per_input, double iou_thres,
                                           bool agnostic) {
  YP_CHECK(per_input.size() == inputs.inputs.size(), "merge_detections: one detection list per input");
  std::vector<DetectionRef> refs;
  std::vector<Box<double>> boxes;  // picture edge coordinates
  for (size_t i = 0; i < per_input.size(); ++i) {
    const NetworkInput& in = inputs.inputs[i];
    for (size_t k = 0; k < per_input[i].size(); ++k) {
      const Box<double> b = in.to_picture(per_input[i][k]);
      const double cx = 0.5 * (b.x1 + b.x2), cy = 0.5 * (b.y1 + b.y2);
      if (cx < in.owned.x1 || cx >= in.owned.x2 || cy < in.owned.y1 || cy >= in.owned.y2) continue;
      refs.push_back({int(i), int(k)});
      boxes.push_back(b);
    }
  }
  auto conf = [&](const DetectionRef& r) { return per_input[r.input][r.index].conf; };
  std::vector<size_t> order(refs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return conf(refs[a]) > conf(refs[b]); });
  std::vector<DetectionRef> sorted;
  std::vector<Box<double>> sorted_boxes;
  std::vector<int> classes;
  for (size_t i : order) {
    sorted.push_back(refs[i]);
    sorted_boxes.push_back(boxes[i]);
    classes.push_back(per_input[refs[i].input][refs[i].index].cls);
  }
  if (inputs.inputs.size() <= 1) return sorted;
  std::vector<DetectionRef> kept;
  for (int64_t i : greedy_nms(sorted_boxes, iou_thres, agnostic ? nullptr : &classes)) kept.push_back(sorted[i]);
  return kept;
}

}  // namespace yp::yolo
