// yaml_config.h: the YOLOv5 model config (models/yolov5s.yaml and friends) and the YAML subset it uses.
//
// A config is a handful of top-level keys:
//   nc: 80                      # number of classes
//   depth_multiple: 0.33        # repeats n -> max(round(n * depth), 1) when n > 1
//   width_multiple: 0.50        # channels c -> ceil(c * width / 8) * 8
//   anchors:                    # per level, (w, h) pairs in input pixels
//     - [10,13, 16,30, 33,23]   # P3/8
//   backbone:                   # layers as [from, number, module, args]
//     - [-1, 1, Conv, [64, 6, 2, 2]]  # 0-P1/2
//   head:
//     - [[17, 20, 23], 1, Detect, [nc, anchors]]
// `from` is -1 (the previous layer), an absolute layer index, or a list of them. The layer list is
// backbone then head, indexed from 0.
//
// The YAML subset: '#' comments, `key: value` at the top level, block sequences ("- item"),
// flow lists ([a, [b, c]]) possibly over several lines, numbers, bare or quoted strings,
// None / null / ~ (null) and True / False / true / false. Anything else is an error that names the
// source and line. Enough for every official config and for render_yolo_yaml's output (io/pt_checkpoint.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace yp::yolo {

struct YamlValue {
  enum class Kind { Null, Bool, Number, String, List };
  Kind kind = Kind::Null;
  bool b = false;
  double number = 0;
  bool is_integer = false;  // the literal had no '.', 'e' or 'inf'
  std::string text;         // String: the value; Number: the literal as written
  std::vector<YamlValue> items;

  bool is(Kind k) const { return kind == k; }
  std::string str() const;  // back to flow text, e.g. [64, 6, 2, 2]
};

// The comment rule of this YAML subset, also used for data.yaml (train/dataset.cpp): cuts a '#' comment that is
// not inside quotes.
std::string yaml_strip_comment(const std::string& line);

// Top-level keys in file order.
using YamlDocument = std::vector<std::pair<std::string, YamlValue>>;
YamlDocument parse_yaml(const std::string& text, const std::string& label);

struct LayerSpec {
  std::vector<int> from;          // -1 = previous layer, else absolute index
  int number = 1;                 // repeats before depth_multiple
  std::string module;             // "Conv", "C3", "SPPF", "nn.Upsample", "Concat", "Detect"
  std::vector<YamlValue> args;
};

struct YoloConfig {
  int nc = 80;
  double depth_multiple = 1.0;
  double width_multiple = 1.0;
  int ch = 3;                                  // input channels (the yaml's optional `ch`)
  std::vector<std::vector<float>> anchors;     // per level, flat w, h pairs in pixels
  std::vector<LayerSpec> layers;               // backbone then head
  int backbone_size = 0;                       // how many of `layers` are the backbone
  std::string text;                            // the yaml it came from
};

YoloConfig parse_yolo_config(const std::string& text, const std::string& label);
YoloConfig load_yolo_config(const std::string& path);
// The config shipped in yolo/configs/ for "yolov5n" .. "yolov5x" (compiled in; no files needed).
YoloConfig builtin_yolo_config(const std::string& name);
std::vector<std::string> builtin_yolo_config_names();

}  // namespace yp::yolo
