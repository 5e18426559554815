// tiny_yolo.h: small networks in the YOLOv5 yaml grammar for the training tests - every block type of the
// real model (Conv, C3 with and without shortcut, SPPF, Upsample, Concat, a two-level Detect), with
// 8-32 channels so a forward at 32-64 px takes milliseconds.
#pragma once

#include <memory>
#include <string>

#include "yolo/model.h"
#include "yolo/yaml_config.h"

namespace yp::test {

// Strides 8 and 16; anchors sized for 10-20 px squares in 64 px pictures.
inline const char* kTinyYoloYaml = R"(# tiny YOLOv5-grammar model for tests
nc: 1
depth_multiple: 1.0
width_multiple: 1.0
anchors:
  - [8,8, 12,12, 16,16]    # P3/8
  - [16,16, 24,24, 32,32]  # P4/16
backbone:
  [[-1, 1, Conv, [8, 3, 2]],     # 0-P1/2
   [-1, 1, Conv, [16, 3, 2]],    # 1-P2/4
   [-1, 1, C3, [16]],            # 2
   [-1, 1, Conv, [16, 3, 2]],    # 3-P3/8
   [-1, 1, C3, [16]],            # 4
   [-1, 1, Conv, [32, 3, 2]],    # 5-P4/16
   [-1, 1, SPPF, [32, 5]],       # 6
  ]
head:
  [[-1, 1, Conv, [16, 1, 1]],                   # 7
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],  # 8
   [[-1, 4], 1, Concat, [1]],                   # 9
   [-1, 1, C3, [16, False]],                    # 10 (P3/8)
   [-1, 1, Conv, [16, 3, 2]],                   # 11
   [[-1, 7], 1, Concat, [1]],                   # 12
   [-1, 1, C3, [32, False]],                    # 13 (P4/16)
   [[10, 13], 1, Detect, [nc, anchors]],        # 14
  ]
)";

// The same layout at 8 channels throughout, for finite differences (a few thousand parameters).
inline const char* kGradcheckYoloYaml = R"(nc: 2
depth_multiple: 1.0
width_multiple: 1.0
anchors:
  - [6,6, 10,14]   # P3/8
  - [12,12, 20,16] # P4/16
backbone:
  [[-1, 1, Conv, [8, 3, 2]],
   [-1, 1, Conv, [8, 3, 2]],
   [-1, 1, C3, [8]],
   [-1, 1, Conv, [8, 3, 2]],
   [-1, 1, C3, [8]],
   [-1, 1, Conv, [8, 3, 2]],
   [-1, 1, SPPF, [8, 5]],
  ]
head:
  [[-1, 1, Conv, [8, 1, 1]],
   [-1, 1, nn.Upsample, [None, 2, 'nearest']],
   [[-1, 4], 1, Concat, [1]],
   [-1, 1, C3, [8, False]],
   [-1, 1, Conv, [8, 3, 2]],
   [[-1, 7], 1, Concat, [1]],
   [-1, 1, C3, [8, False]],
   [[10, 13], 1, Detect, [nc, anchors]],
  ]
)";

// In training mode, as a run starts.
inline std::unique_ptr<yolo::Model> tiny_yolo(const char* yaml, int nc, int input_channels, uint64_t seed) {
  yolo::ModelOptions o;
  o.nc = nc;
  o.input_channels = input_channels;
  o.seed = seed;
  return std::make_unique<yolo::Model>(yolo::parse_yolo_config(yaml, "tiny_yolo.h"), o);
}

}  // namespace yp::test
