// stand_in.h: model stand-ins for the pick pipeline tests - forward functions with known answers.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "imgproc/chain.h"
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

// A model whose record is yolopick's letterbox rule without a chain: the picture reaches the network as it is,
// scaled to [0, 1] and letterboxed into input_size.
inline yolo::Detector stand_in_model(yolo::ForwardFn forward, int nc, int input_size, int channels = 1) {
  yolo::Detector m;
  m.forward = std::move(forward);
  m.info.nc = nc;
  for (int k = 0; k < nc; ++k) m.info.names.push_back("class" + std::to_string(k));
  m.info.input = {yolo::InputRule::Letterbox, "", input_size, channels};
  m.stride = 32;
  return m;
}

// A chain that only resizes: to width x height, or by binning when bin > 0.
inline std::string resize_only_chain(int width, int height, int bin = 0) {
  imgproc::ChainConfig c;
  imgproc::set_steps(c, "resize");
  c.width = width, c.height = height, c.bin_factor = bin;
  return imgproc::to_text(c);
}

// An 8-bit picture as imgproc reads a PNG (values 0..255) from an image of values in [0, 1].
inline imgproc::LoadedImage picture8(const imgproc::Image& unit) {
  imgproc::LoadedImage p;
  p.format = "png";
  p.image = unit;
  for (float& v : p.image.data) v *= 255.f;
  return p;
}

// Sorted by position so two pick lists compare element by element.
inline std::vector<picker::Pick> by_position(std::vector<picker::Pick> p) {
  std::sort(p.begin(), p.end(), [](const picker::Pick& a, const picker::Pick& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
  return p;
}

// The same picks, position by position: centre and size within `tol` px, the same class and confidence.
inline void expect_same_picks(const std::vector<picker::Pick>& got, const std::vector<picker::Pick>& want, double tol) {
  const std::vector<picker::Pick> g = by_position(got), w = by_position(want);
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i].x, w[i].x, tol) << i;
    EXPECT_NEAR(g[i].y, w[i].y, tol) << i;
    EXPECT_NEAR(g[i].w, w[i].w, tol) << i;
    EXPECT_NEAR(g[i].h, w[i].h, tol) << i;
    EXPECT_EQ(g[i].cls, w[i].cls) << i;
    EXPECT_NEAR(g[i].confidence, w[i].confidence, 1e-6) << i;
  }
}

}  // namespace yp::test
