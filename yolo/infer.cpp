// infer.cpp: letterbox -> forward -> NMS -> scale_boxes for one picture (infer.h).
#include "yolo/infer.h"

namespace yp::yolo {

int stride_multiple(int size, int stride) {
  YP_CHECK(size > 0 && stride > 0, "image size " + std::to_string(size) + " and stride " +
                                       std::to_string(stride) + " must be positive");
  return (size + stride - 1) / stride * stride;
}

PreparedInput prepare_input(const uint8_t* rgb, int width, int height, const DetectOptions& o) {
  LetterboxOptions lo;
  lo.target_width = lo.target_height = stride_multiple(o.image_size, o.stride);
  lo.auto_min_rect = !o.square;
  lo.stride = o.stride;
  PreparedInput p;
  p.geometry = letterbox_geometry(width, height, lo);
  const std::vector<uint8_t> boxed = letterbox(rgb, 3, p.geometry, lo.pad_value);
  p.input = hwc_to_chw_tensor(boxed.data(), p.geometry.output_width, p.geometry.output_height, 3);
  return p;
}

std::vector<Detection> postprocess(const Tensor& decoded, const LetterboxGeometry& g, const DetectOptions& o) {
  YP_CHECK(decoded.defined() && decoded.dim() == 3 && decoded.size(0) == 1,
           "detect: the model should return decoded predictions (1, n_pred, 5 + nc), got " +
               (decoded.defined() ? shape_str(decoded.shape()) : std::string("nothing")));
  std::vector<Detection> dets = non_max_suppression(decoded, o.nms)[0];
  scale_boxes(dets, g.output_width, g.output_height, g.source_width, g.source_height);
  return dets;
}

std::vector<Detection> detect_picture(const ForwardFn& forward, const uint8_t* rgb, int width, int height,
                                      const DetectOptions& o) {
  const PreparedInput p = prepare_input(rgb, width, height, o);
  return postprocess(forward(p.input), p.geometry, o);
}

}  // namespace yp::yolo
