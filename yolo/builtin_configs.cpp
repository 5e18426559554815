// builtin_configs.cpp: yolov5n/s/m/l/x compiled in, so a model can be built by name without files.
// The text is that of yolo/configs/yolov5?.yaml (a test checks they parse to the same config);
// the five sizes share one layer list and differ only in depth_multiple and width_multiple.
#include <cstdio>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "yolo/yaml_config.h"

namespace yp::yolo {
namespace {

const char* kLayers = R"(anchors:
  - [10,13, 16,30, 33,23]  # P3/8
  - [30,61, 62,45, 59,119]  # P4/16
  - [116,90, 156,198, 373,326]  # P5/32
backbone:
  [[-1, 1, Conv, [64, 6, 2, 2]],  # 0-P1/2
   [-1, 1, Conv, [128, 3, 2]],  # 1-P2/4
   [-1, 3, C3, [128]],
   [-1, 1, Conv, [256, 3, 2]],  # 3-P3/8
   [-1, 6, C3, [256]],
   [-1, 1, Conv, [512, 3, 2]],  # 5-P4/16
   [-1, 9, C3, [512]],
   [-1, 1, Conv, [1024, 3, 2]],  # 7-P5/32
   [-1, 3, C3, [1024]],
   [-1, 1, SPPF, [1024, 5]],  # 9
  ]
head:
  [[-1, 1, Conv, [512, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 6], 1, Concat, [1]],  # cat backbone P4
   [-1, 3, C3, [512, False]],  # 13
   [-1, 1, Conv, [256, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 4], 1, Concat, [1]],  # cat backbone P3
   [-1, 3, C3, [256, False]],  # 17 (P3/8-small)
   [-1, 1, Conv, [256, 3, 2]],
   [[-1, 14], 1, Concat, [1]],  # cat head P4
   [-1, 3, C3, [512, False]],  # 20 (P4/16-medium)
   [-1, 1, Conv, [512, 3, 2]],
   [[-1, 10], 1, Concat, [1]],  # cat head P5
   [-1, 3, C3, [1024, False]],  # 23 (P5/32-large)
   [[17, 20, 23], 1, Detect, [nc, anchors]],  # Detect(P3, P4, P5)
  ]
)";

struct Size {
  const char* name;
  const char* depth;
  const char* width;
};
const Size kSizes[] = {{"yolov5n", "0.33", "0.25"},
                       {"yolov5s", "0.33", "0.50"},
                       {"yolov5m", "0.67", "0.75"},
                       {"yolov5l", "1.0", "1.0"},
                       {"yolov5x", "1.33", "1.25"}};

}  // namespace

YoloConfig builtin_yolo_config(const std::string& name) {
  for (const Size& s : kSizes) {
    if (name != s.name) continue;
    const std::string text = "nc: 80\ndepth_multiple: " + std::string(s.depth) + "\nwidth_multiple: " + s.width +
                             "\n" + kLayers;
    return parse_yolo_config(text, name);
  }
  throw Error("no built-in model config '" + name + "' (known: yolov5n, yolov5s, yolov5m, yolov5l, yolov5x)");
}

std::vector<std::string> builtin_yolo_config_names() {
  std::vector<std::string> out;
  for (const Size& s : kSizes) out.push_back(s.name);
  return out;
}

}  // namespace yp::yolo
