// stand_in.h: model stand-ins for the pick pipeline tests - forward functions with known answers.
#pragma once
#include <functional>
#include <vector>

#include "picker/pipeline/pick.h"

namespace yp::test {

// A box in network-input pixels: centre, size, class, score.
struct InputBox {
  double cx, cy, w, h;
  int cls;
  double score;
};

// Decoded predictions (1, n, 5 + nc) for the given boxes: obj = score, class probability 1 for `cls`.
inline Tensor decoded_rows(const std::vector<InputBox>& boxes, int nc) {
  std::vector<float> v;
  for (const InputBox& b : boxes) {
    v.insert(v.end(), {(float)b.cx, (float)b.cy, (float)b.w, (float)b.h, (float)b.score});
    for (int k = 0; k < nc; ++k) v.push_back(k == b.cls ? 1.f : 0.f);
  }
  if (boxes.empty()) v.assign(5 + nc, 0.f);  // one row nobody keeps
  return Tensor::from_vector(v, {1, (int64_t)std::max<size_t>(1, boxes.size()), 5 + nc});
}

// "Finds" every input pixel brighter than 250/255 in channel 0 and reports a box of side `box` centred on it
// (edge coordinates: pixel i spans [i, i + 1)); the class is 1 when the pixel's right neighbour is bright too.
inline yolo::ForwardFn bright_pixel_finder(int nc, double box) {
  return [nc, box](const Tensor& x) {
    const int64_t h = x.size(2), w = x.size(3);
    const std::vector<float> v = x.to_vector();
    std::vector<InputBox> found;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t i = 0; i < w; ++i) {
        const bool bright = v[y * w + i] > 250.f / 255.f;
        const bool left_bright = i > 0 && v[y * w + i - 1] > 250.f / 255.f;
        if (bright && !left_bright) {
          const bool pair = i + 1 < w && v[y * w + i + 1] > 250.f / 255.f;
          found.push_back({i + (pair ? 1.0 : 0.5), y + 0.5, box, box, pair ? 1 : 0, 0.9});
        }
      }
    return decoded_rows(found, nc);
  };
}

// A model that runs nothing of the chain but an optional resize: the picture reaches the network as it is.
inline picker::PickModel stand_in_model(yolo::ForwardFn forward, int nc, int input_size, int channels = 1) {
  picker::PickModel m;
  m.forward = std::move(forward);
  m.nc = nc;
  m.input_channels = channels;
  m.input_size = input_size;
  m.stride = 32;
  for (int k = 0; k < nc; ++k) m.names.push_back("class" + std::to_string(k));
  m.preprocess.resize = false;
  m.preprocess.wavelet = m.preprocess.wiener = m.preprocess.clahe = m.preprocess.normalize = false;
  return m;
}

}  // namespace yp::test
