// input_pipeline.cpp: pictures to network inputs by the recorded rule (input_pipeline.h).
#include "yolo/input_pipeline.h"

#include <algorithm>
#include <cstring>

#include "imgproc/chain.h"
#include "imgproc/normalize.h"
#include "imgproc/resize.h"

namespace yp::yolo {

namespace {

// The picture's values as 8-bit pixels (k / 255 in float), as rule yolov5 sees them.
void quantise_to_8_bit(imgproc::Image& image) {
  const std::vector<uint8_t> bytes = imgproc::to_uint8(image);
  for (size_t i = 0; i < bytes.size(); ++i) image.data[i] = bytes[i] / 255.f;
}

}  // namespace

const char* input_rule_name(InputRule rule) { return rule == InputRule::Letterbox ? "letterbox" : "yolov5"; }

InputRule parse_input_rule(const std::string& name, const std::string& label) {
  if (name == "letterbox") return InputRule::Letterbox;
  if (name == "yolov5") return InputRule::Yolov5;
  throw Error(label + ": unknown input rule '" + name + "' (this build knows letterbox and yolov5)");
}

std::string input_note(const InputPipeline& p, const std::string& model_label) {
  if (p.rule == InputRule::Letterbox) return "";
  return model_label + " records no input pipeline (a YOLOv5 checkpoint or an imported file): pictures go in as "
         "they are, YOLOv5's letterbox to " + std::to_string(p.size) + " px, no pre-processing";
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
  ScaledPicture s;
  if (p.chain.empty()) {
    s.image = imgproc::to_unit_range(raw, from_mrc);
  } else {
    imgproc::ChainConfig c = imgproc::chain_config_from_text(p.chain);
    if (!chain_resize) c.resize = false;
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
  if (rule == InputRule::Letterbox) {
    imgproc::Image out = imgproc::resize_bicubic(image, g.resized_width, g.resized_height, true);
    for (float& v : out.data) v = std::clamp(v, 0.0f, 1.0f);  // bicubic overshoots at edges
    return out;
  }
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

}  // namespace yp::yolo
