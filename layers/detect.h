// detect.h: the YOLOv5 Detect head (models/yolo.py Detect), the training-time half.
//
// One 1x1 Conv2d (with bias) per level maps the level's features to na * no channels,
// no = 5 + nc, laid out anchor-major: channel a*no + [x, y, w, h, obj, cls_0 .. cls_{nc-1}].
//   inputs  x_l (N, ch_l, H_l, W_l), l = 0 .. nl-1 (P3/8, P4/16, P5/32 in YOLOv5)
//   outputs raw_l (N, na*no, H_l, W_l): logits, no sigmoid - the loss and the decode take it from here
// The inference decode (sigmoid, grid offsets, anchors) is tensor/ops/detect_decode.h.
//
// The `anchors` buffer (nl, na, 2) holds (w, h) in GRID units of each level: pixels / stride, as the
// official state_dict stores model.24.anchors. set_strides() does YOLOv5's conversion from pixels
// (DetectionModel.__init__: anchors /= stride, check_anchor_order) and initialize_biases() adds its
// priors to the default-initialised output biases (_initialize_biases):
//   obj:  b[a*no + 4]     += log(8 / (640 / s)^2)        about 8 objects per 640x640 image
//   cls:  b[a*no + 5 + c] += log(0.6 / (nc - 0.99999))   class probability about 0.6 / nc
#pragma once

#include "layers/conv.h"

namespace yp {

class Detect : public Module {
 public:
  // anchors_px: per level the flat list w0, h0, w1, h1, ... in input pixels (the yaml's anchors).
  Detect(int nc, const std::vector<std::vector<float>>& anchors_px, const std::vector<int>& ch, Rng* rng);

  std::vector<Tensor> forward(const std::vector<Tensor>& xs);
  int64_t flops(const std::vector<Shape>& xs) const;
  std::vector<Shape> output_shapes(const std::vector<Shape>& xs) const;

  void set_strides(const std::vector<float>& strides);  // also converts the pixel anchors to grid units
  void initialize_biases();
  std::vector<Tensor> anchors_per_level() const;  // (na, 2) grid units, one per level

  int nc, no, nl, na;
  std::vector<float> strides;
  Tensor anchors;  // buffer (nl, na, 2), grid units once set_strides() ran, pixels before
  ModuleList<Conv2d> m;
};

}  // namespace yp
