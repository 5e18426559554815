// infer.cpp: letterbox -> forward -> NMS -> scale_boxes for one picture (infer.h).
#include "yolo/infer.h"

#include "yolo/model_file.h"

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

Detector load_detector(const std::string& path) {
  LoadedModel loaded = load_model(path);
  const int channels = loaded.model->input_channels();
  if (channels != 3 && channels != 1)
    throw Error(path + ": a " + std::to_string(channels) + "-channel model; detect takes RGB or gray (1) models");
  Detector d;
  d.model = std::move(loaded.model);
  d.names = std::move(loaded.info.names);
  d.preprocessing = std::move(loaded.info.preprocessing);
  d.model->fuse();
  return d;
}

// A gray model (trained on micrographs, stem folded) sees the mean of R, G, B: for a gray picture that is
// its value, and the result equals the RGB network's on it (model.h, fold_rgb_stem).
ForwardFn Detector::forward() const {
  Model* m = model.get();
  return [m](const Tensor& x) {
    if (m->input_channels() != 1 || x.size(1) == 1) return m->predict(x);
    const int64_t c = x.size(1), plane = x.size(2) * x.size(3);
    Tensor gray = Tensor::zeros({x.size(0), 1, x.size(2), x.size(3)});
    const float* src = x.data<float>();
    float* dst = gray.data<float>();
    for (int64_t n = 0; n < x.size(0); ++n)
      for (int64_t i = 0; i < plane; ++i) {
        float sum = 0;
        for (int64_t k = 0; k < c; ++k) sum += src[(n * c + k) * plane + i];
        dst[n * plane + i] = sum / static_cast<float>(c);
      }
    return m->predict(gray);
  };
}

}  // namespace yp::yolo
