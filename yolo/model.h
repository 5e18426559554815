// model.h: a YOLOv5 network built from its yaml config (yaml_config.h), as models/yolo.py
// DetectionModel / parse_model does; docs/model.md walks through it.
//
// Layer i of the config becomes the child "model.i", so every tensor has its official state-dict
// name ("model.0.conv.weight" .. "model.24.m.2.bias"). The scaling rules of parse_model:
//   repeats   n -> max(round(n * depth_multiple), 1) if n > 1   (Python's round: half to even)
//   channels  c -> ceil(c * width_multiple / 8) * 8             (every Conv/C3/SPPF output)
//   C3 gets the repeats as its Bottleneck count; Concat's channels are the sum of its inputs.
// Layers whose output a later layer reads through `from` (the save list, [4, 6, 10, 14, 17, 20, 23]
// for the official configs) are kept during the forward; the others are dropped as soon as used.
//
//   input  x (N, ch, H, W) float32, H and W multiples of the largest stride (32)
//   forward_raw: per level (N, na*no, H/stride, W/stride) logits (what the loss takes)
//   predict (eval): decoded (N, sum na*H_l*W_l, no) in input pixels (tensor/ops/detect_decode.h)
//
// Grayscale: ModelOptions::input_channels = 1 builds the stem conv with one input channel. Loading
// RGB weights then sums the stem over its three input channels (fold_rgb_stem), which gives exactly
// the output of the RGB network on the gray image replicated three times, at a third of the cost.
// Inference speed: fuse() switches to eval and folds every BatchNorm into its conv once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/detect.h"
#include "layers/module.h"
#include "yolo/yaml_config.h"

namespace yp::yolo {

struct ModelOptions {
  int nc = 0;               // 0: the config's nc
  int input_channels = 0;   // 0: the config's ch (3); 1 for grayscale micrographs
  uint64_t seed = 0;        // for the default initialisation
  bool random_init = true;  // false: zero weights (counting parameters and FLOPs of big models fast)
};

// One row of the layer table (YOLOv5's model summary).
struct LayerInfo {
  int index = 0;
  std::vector<int> from;
  int number = 1;           // repeats after depth_multiple
  std::string module;       // as in the yaml
  std::string args;         // resolved arguments, e.g. [3, 16, 6, 2, 2]
  int64_t params = 0;
};

struct ModelOutput {
  std::vector<Tensor> raw;  // per level (N, na*no, ny, nx)
  Tensor decoded;           // (N, rows, no), only in eval mode
};

class Model : public Module {
 public:
  Model(const YoloConfig& config, const ModelOptions& options = {});

  ModelOutput forward(const Tensor& x);
  std::vector<Tensor> forward_raw(const Tensor& x);
  Tensor predict(const Tensor& x);  // eval mode, no autograd: decoded predictions
  void fuse();                      // eval() and fold every Conv's BatchNorm (see conv.h)

  // Shapes and cost for an input of H x W with batch 1, from the architecture alone.
  std::vector<Shape> layer_output_shapes(int64_t height, int64_t width) const;
  int64_t flops(int64_t height, int64_t width) const;  // 2 * multiply-adds (+ bias) of every conv
  std::vector<int64_t> layer_flops(int64_t height, int64_t width) const;

  const std::vector<LayerInfo>& layers() const { return info_; }
  const YoloConfig& config() const { return config_; }
  int nc() const { return detect_->nc; }
  int input_channels() const { return input_channels_; }
  int num_layers() const { return (int)info_.size(); }
  const std::vector<float>& strides() const { return detect_->strides; }
  int max_stride() const;
  std::vector<Tensor> anchors() const { return detect_->anchors_per_level(); }  // (na, 2) grid units
  Detect& detect() { return *detect_; }
  const Detect& detect() const { return *detect_; }
  const std::vector<int>& save_list() const { return save_; }

  // Called after each layer of a forward with its index, type and wall time (benchmarks).
  std::function<void(int index, const char* type, double seconds)> layer_timer;

 private:
  struct Node {
    std::vector<int> from;  // absolute indices, -1 resolved
    Layer* layer = nullptr; // null for the Detect node
  };
  struct Sequential : Module {
    void add(const std::string& name, Module* m) { register_module(name, m); }
  };

  YoloConfig config_;
  int input_channels_ = 3;
  std::vector<std::unique_ptr<Module>> owned_;
  std::vector<Node> nodes_;
  Detect* detect_ = nullptr;
  std::vector<int> save_;
  std::vector<bool> keep_;
  std::vector<LayerInfo> info_;
  Sequential sequential_;
};

// The stem's RGB weights (c2, 3, k, k) summed over the input channels into (c2, 1, k, k).
Tensor fold_rgb_stem(const Tensor& weight);

}  // namespace yp::yolo
