// model.cpp: parse_model (building the layers from the config), the forward over the layer graph,
// shapes and FLOPs from the architecture (model.h).
#include "yolo/model.h"

#include <chrono>
#include <cmath>

#include "layers/c3.h"
#include "layers/conv.h"
#include "layers/resample.h"
#include "layers/sppf.h"
#include "tensor/autograd.h"
#include "tensor/ops/detect_decode.h"

namespace yp::yolo {
namespace {

// Arguments of one layer, with the names YOLOv5 evaluates ('nc', 'anchors') resolved.
struct Args {
  const std::vector<YamlValue>& v;
  std::string where;

  size_t size() const { return v.size(); }
  bool present(size_t i) const { return i < v.size() && !v[i].is(YamlValue::Kind::Null); }
  int integer(size_t i, int fallback, int nc) const {
    if (!present(i)) return fallback;
    if (v[i].is(YamlValue::Kind::String) && v[i].text == "nc") return nc;
    if (!v[i].is(YamlValue::Kind::Number) || v[i].number != std::floor(v[i].number) || std::abs(v[i].number) > 1e6)
      throw Error(where + ": argument " + std::to_string(i) + " must be an integer, got " + v[i].str());
    return (int)v[i].number;
  }
  bool boolean(size_t i, bool fallback) const {
    if (!present(i)) return fallback;
    if (!v[i].is(YamlValue::Kind::Bool)) throw Error(where + ": argument " + std::to_string(i) + " must be True/False, got " + v[i].str());
    return v[i].b;
  }
};

int make_divisible(double c) { return (int)std::ceil(c / 8.0) * 8; }

std::string join(const std::vector<int>& xs) {
  std::string s = "[";
  for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + std::to_string(xs[i]);
  return s + "]";
}

}  // namespace

Tensor fold_rgb_stem(const Tensor& weight) {
  YP_CHECK(weight.dim() == 4 && weight.size(1) == 3, "fold_rgb_stem: expected (c2, 3, k, k), got " + shape_str(weight.shape()));
  const Tensor w = weight.to(DType::F64);
  const int64_t c2 = w.size(0), kk = w.size(2) * w.size(3);
  std::vector<double> out((size_t)(c2 * kk));
  const double* p = w.data<double>();
  for (int64_t o = 0; o < c2; ++o)
    for (int64_t i = 0; i < kk; ++i)
      out[(size_t)(o * kk + i)] = p[(o * 3 + 0) * kk + i] + p[(o * 3 + 1) * kk + i] + p[(o * 3 + 2) * kk + i];
  return Tensor::from_vector(out, {c2, 1, w.size(2), w.size(3)}).to(weight.dtype() == DType::F64 ? DType::F64 : DType::F32);
}

Model::Model(const YoloConfig& config, const ModelOptions& options) : config_(config) {
  const int nc = options.nc > 0 ? options.nc : config.nc;
  input_channels_ = options.input_channels > 0 ? options.input_channels : config.ch;
  YP_CHECK(nc >= 1 && nc <= 100000, "model: nc = " + std::to_string(nc) + " is not a class count");
  YP_CHECK(input_channels_ >= 1 && input_channels_ <= 64, "model: " + std::to_string(input_channels_) + " input channels");
  Rng rng_storage(options.seed);
  Rng* rng = options.random_init ? &rng_storage : nullptr;
  register_module("model", &sequential_);

  const int n_layers = (int)config.layers.size();
  std::vector<int> ch;  // output channels per layer
  keep_.assign((size_t)n_layers, false);
  for (int i = 0; i < n_layers; ++i) {
    const LayerSpec& spec = config.layers[(size_t)i];
    const std::string where = "model config layer " + std::to_string(i) + " (" + spec.module + ")";
    const Args args{spec.args, where};
    Node node;
    for (int f : spec.from) {
      const int abs = f < 0 ? i + f : f;
      YP_CHECK(abs >= -1 && abs < i && !(abs == -1 && i > 0) && !(f < -1 && abs < 0),
               where + ": 'from' " + std::to_string(f) + " does not name an earlier layer");
      node.from.push_back(abs);
      if (abs >= 0 && abs != i - 1) keep_[(size_t)abs] = true;
    }
    auto in_ch = [&](int abs) { return abs < 0 ? input_channels_ : ch[(size_t)abs]; };
    const int c1 = in_ch(node.from[0]);
    const int n = spec.number > 1 ? std::max((int)std::nearbyint(spec.number * config.depth_multiple), 1) : spec.number;
    YP_CHECK(n == 1 || spec.module == "C3", where + ": number > 1 is supported for C3 only");
    YP_CHECK(node.from.size() == 1 || spec.module == "Concat" || spec.module == "Detect",
             where + ": only Concat and Detect take several inputs");
    std::unique_ptr<Module> module;
    std::vector<int> resolved;  // the arguments YOLOv5 would pass, for the layer table
    int c2 = c1;
    if (spec.module == "Conv") {
      c2 = make_divisible(args.integer(0, 0, nc) * config.width_multiple);
      const int k = args.integer(1, 1, nc), s = args.integer(2, 1, nc), p = args.integer(3, -1, nc);
      YP_CHECK(args.integer(4, 1, nc) == 1 && args.integer(5, 1, nc) == 1, where + ": groups and dilation must be 1");
      YP_CHECK(k >= 1 && k <= 15 && s >= 1 && s <= 8 && p >= -1 && p <= k, where + ": kernel/stride/padding out of range");
      module = std::make_unique<Conv>(c1, c2, k, s, rng, p);
      resolved = {c1, c2, k, s};
      if (p >= 0) resolved.push_back(p);
    } else if (spec.module == "C3") {
      c2 = make_divisible(args.integer(0, 0, nc) * config.width_multiple);
      const bool shortcut = args.boolean(1, true);
      YP_CHECK(!args.present(2) || args.integer(2, 1, nc) == 1, where + ": groups must be 1");
      module = std::make_unique<C3>(c1, c2, n, shortcut, rng);
      resolved = {c1, c2, n};
      if (!shortcut) resolved.push_back(0);
    } else if (spec.module == "SPPF") {
      c2 = make_divisible(args.integer(0, 0, nc) * config.width_multiple);
      const int k = args.integer(1, 5, nc);
      YP_CHECK(k >= 1 && k <= 31, where + ": pool size out of range");
      module = std::make_unique<SPPF>(c1, c2, k, rng);
      resolved = {c1, c2, k};
    } else if (spec.module == "nn.Upsample" || spec.module == "Upsample") {
      YP_CHECK(!args.present(0), where + ": only a scale factor is supported (size must be None)");
      YP_CHECK(args.size() < 3 || (args.v[2].is(YamlValue::Kind::String) && args.v[2].text == "nearest"),
               where + ": only 'nearest' upsampling is supported");
      const int scale = args.integer(1, 2, nc);
      YP_CHECK(scale >= 1 && scale <= 16, where + ": scale out of range");
      module = std::make_unique<Upsample>(scale);
      resolved = {scale};
    } else if (spec.module == "Concat") {
      YP_CHECK(args.integer(0, 1, nc) == 1, where + ": only dimension 1 (channels) is supported");
      c2 = 0;
      for (int f : node.from) c2 += in_ch(f);
      module = std::make_unique<Concat>();
      resolved = {1};
    } else if (spec.module == "Detect") {
      YP_CHECK(i == n_layers - 1, where + ": Detect must be the last layer");
      YP_CHECK(args.size() >= 2 && args.v[1].is(YamlValue::Kind::String) && args.v[1].text == "anchors",
               where + ": expected [nc, anchors]");
      std::vector<int> chs;
      for (int f : node.from) {
        YP_CHECK(f >= 0, where + ": Detect reads named layers");
        keep_[(size_t)f] = true;
        chs.push_back(in_ch(f));
      }
      YP_CHECK(chs.size() == config.anchors.size(), where + ": " + std::to_string(chs.size()) + " inputs but " +
                                                       std::to_string(config.anchors.size()) + " anchor levels");
      auto detect = std::make_unique<Detect>(args.integer(0, nc, nc), config.anchors, chs, rng);
      detect_ = detect.get();
      module = std::move(detect);
      resolved = {detect_->nc};
      resolved.insert(resolved.end(), chs.begin(), chs.end());
    } else {
      throw Error(where + ": unknown module '" + spec.module + "' (known: Conv, C3, SPPF, nn.Upsample, Concat, Detect)");
    }
    YP_CHECK(c2 >= 1 && c2 <= 65536, where + ": " + std::to_string(c2) + " output channels");
    node.layer = dynamic_cast<Layer*>(module.get());
    sequential_.add(std::to_string(i), module.get());
    LayerInfo li;
    li.index = i;
    li.from = spec.from;
    li.number = n;
    li.module = spec.module;
    li.args = join(resolved);
    li.params = module->num_parameters();
    info_.push_back(li);
    owned_.push_back(std::move(module));
    nodes_.push_back(node);
    ch.push_back(c2);
  }
  YP_CHECK(detect_ != nullptr, "model config: no Detect layer");
  for (int i = 0; i < n_layers; ++i)
    if (keep_[(size_t)i]) save_.push_back(i);

  // Strides as YOLOv5 finds them: a 256 x 256 input against the Detect inputs' sizes.
  const std::vector<Shape> shapes = layer_output_shapes(256, 256);
  std::vector<float> strides;
  for (int f : nodes_.back().from) strides.push_back(256.0f / (float)shapes[(size_t)f][2]);
  detect_->set_strides(strides);
  detect_->initialize_biases();
}

int Model::max_stride() const {
  float s = 0;
  for (float x : strides()) s = std::max(s, x);
  return (int)s;
}

std::vector<Shape> Model::layer_output_shapes(int64_t height, int64_t width) const {
  std::vector<Shape> shapes;
  const Shape input{1, input_channels_, height, width};
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Shape> in;
    for (int f : nodes_[i].from) in.push_back(f < 0 ? input : shapes[(size_t)f]);
    if (nodes_[i].layer) {
      shapes.push_back(nodes_[i].layer->output_shape(in));
    } else {
      const std::vector<Shape> out = detect_->output_shapes(in);
      shapes.push_back(out[0]);
    }
  }
  return shapes;
}

std::vector<int64_t> Model::layer_flops(int64_t height, int64_t width) const {
  const std::vector<Shape> shapes = layer_output_shapes(height, width);
  const Shape input{1, input_channels_, height, width};
  std::vector<int64_t> flops;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::vector<Shape> in;
    for (int f : nodes_[i].from) in.push_back(f < 0 ? input : shapes[(size_t)f]);
    flops.push_back(nodes_[i].layer ? nodes_[i].layer->flops(in) : detect_->flops(in));
  }
  return flops;
}

int64_t Model::flops(int64_t height, int64_t width) const {
  int64_t total = 0;
  for (int64_t f : layer_flops(height, width)) total += f;
  return total;
}

std::vector<Tensor> Model::forward_raw(const Tensor& x) {
  YP_CHECK(x.dim() == 4 && x.size(1) == input_channels_,
           "model: input " + shape_str(x.shape()) + " is not (N, " + std::to_string(input_channels_) + ", H, W)");
  const int ms = max_stride();
  YP_CHECK(x.size(2) % ms == 0 && x.size(3) % ms == 0,
           "model: input " + shape_str(x.shape()) + " must be a multiple of the stride " + std::to_string(ms));
  std::vector<Tensor> kept(nodes_.size());
  Tensor previous = x;
  using Clock = std::chrono::steady_clock;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto t0 = layer_timer ? Clock::now() : Clock::time_point();
    std::vector<Tensor> in;
    for (int f : nodes_[i].from) in.push_back(f < 0 || f == (int)i - 1 ? previous : kept[(size_t)f]);
    if (!nodes_[i].layer) {
      std::vector<Tensor> raw = detect_->forward(in);
      if (layer_timer) layer_timer((int)i, "Detect", std::chrono::duration<double>(Clock::now() - t0).count());
      return raw;
    }
    previous = nodes_[i].layer->forward(in);
    if (keep_[i]) kept[i] = previous;
    if (layer_timer)
      layer_timer((int)i, nodes_[i].layer->type(), std::chrono::duration<double>(Clock::now() - t0).count());
  }
  throw Error("model: no Detect layer reached");
}

ModelOutput Model::forward(const Tensor& x) {
  ModelOutput out;
  out.raw = forward_raw(x);
  if (!training()) {
    const auto t0 = std::chrono::steady_clock::now();
    out.decoded = detect_decode(out.raw, detect_->anchors, detect_->strides);
    if (layer_timer)
      layer_timer(num_layers(), "decode", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return out;
}

Tensor Model::predict(const Tensor& x) {
  YP_CHECK(!training(), "model: predict() needs eval mode (call eval() or fuse())");
  NoGradGuard no_grad;
  return forward(x).decoded;
}

void Model::fuse() {
  eval();
  for (Module* m : modules())
    if (auto* conv = dynamic_cast<Conv*>(m)) conv->fold();
}

}  // namespace yp::yolo
