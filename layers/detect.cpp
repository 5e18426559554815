// detect.cpp: the Detect head's output convs, anchors and bias priors (detect.h).
#include "layers/detect.h"

#include <cmath>

#include "tensor/autograd.h"

namespace yp {

Detect::Detect(int nc_, const std::vector<std::vector<float>>& anchors_px, const std::vector<int>& ch, Rng* rng)
    : nc(nc_), no(nc_ + 5), nl((int)anchors_px.size()), na(0) {
  YP_CHECK(nc >= 1, "Detect: nc must be at least 1, got " + std::to_string(nc));
  YP_CHECK(nl >= 1 && (size_t)nl == ch.size(), "Detect: " + std::to_string(nl) + " anchor levels but " +
                                                   std::to_string(ch.size()) + " input layers");
  na = (int)anchors_px[0].size() / 2;
  std::vector<float> flat;
  for (const auto& level : anchors_px) {
    YP_CHECK(na >= 1 && level.size() == (size_t)(2 * na),
             "Detect: every anchor level needs the same number of (w, h) pairs");
    flat.insert(flat.end(), level.begin(), level.end());
  }
  anchors = Tensor::from_vector(flat, {nl, na, 2});
  register_buffer("anchors", &anchors);
  register_module("m", &m);
  for (int c : ch) m.append(std::make_unique<Conv2d>(c, na * no, 1, rng));
}

std::vector<Tensor> Detect::forward(const std::vector<Tensor>& xs) {
  YP_CHECK(xs.size() == (size_t)nl, "Detect: expected " + std::to_string(nl) + " levels, got " +
                                        std::to_string(xs.size()));
  std::vector<Tensor> out;
  for (int l = 0; l < nl; ++l) out.push_back(m[(size_t)l].forward(xs[(size_t)l]));
  return out;
}

std::vector<Shape> Detect::output_shapes(const std::vector<Shape>& xs) const {
  std::vector<Shape> out;
  for (int l = 0; l < nl; ++l) {
    const Shape& x = xs.at((size_t)l);
    YP_CHECK(x.size() == 4 && x[1] == m[(size_t)l].c1,
             "Detect: level " + std::to_string(l) + " input " + shape_str(x) + " does not have " +
                 std::to_string(m[(size_t)l].c1) + " channels");
    out.push_back({x[0], (int64_t)na * no, x[2], x[3]});
  }
  return out;
}

int64_t Detect::flops(const std::vector<Shape>& xs) const {
  output_shapes(xs);  // checks
  int64_t f = 0;
  for (int l = 0; l < nl; ++l) f += m[(size_t)l].flops(xs[(size_t)l]);
  return f;
}

void Detect::set_strides(const std::vector<float>& s) {
  YP_CHECK(s.size() == (size_t)nl, "Detect: " + std::to_string(s.size()) + " strides for " +
                                       std::to_string(nl) + " levels");
  strides = s;
  std::vector<float> a = anchors.to_vector();
  // check_anchor_order (on the pixel anchors, before the division): anchor area must grow with
  // the stride; if the yaml lists the levels the other way round, reverse them.
  auto mean_area = [&](int l) {
    double sum = 0;
    for (int i = 0; i < na; ++i) sum += (double)a[(size_t)(l * 2 * na + 2 * i)] * a[(size_t)(l * 2 * na + 2 * i + 1)];
    return sum / na;
  };
  const double da = mean_area(nl - 1) - mean_area(0), ds = s[(size_t)nl - 1] - s[0];
  if (da != 0 && ds != 0 && (da > 0) != (ds > 0)) {
    std::vector<float> flipped(a.size());
    for (int l = 0; l < nl; ++l)
      for (int i = 0; i < 2 * na; ++i) flipped[(size_t)(l * 2 * na + i)] = a[(size_t)((nl - 1 - l) * 2 * na + i)];
    a = flipped;
  }
  for (int l = 0; l < nl; ++l)
    for (int i = 0; i < 2 * na; ++i) a[(size_t)(l * 2 * na + i)] /= s[(size_t)l];
  anchors.copy_from(Tensor::from_vector(a, {nl, na, 2}).to(anchors.dtype()));
}

void Detect::initialize_biases() {
  YP_CHECK(strides.size() == (size_t)nl, "Detect: initialize_biases needs the strides (set_strides)");
  NoGradGuard no_grad;
  for (int l = 0; l < nl; ++l) {
    Tensor& b = m[(size_t)l].bias;
    std::vector<float> v = b.to_vector();
    const double grid = 640.0 / strides[(size_t)l];
    for (int a = 0; a < na; ++a) {
      v[(size_t)(a * no + 4)] += (float)std::log(8.0 / (grid * grid));
      for (int c = 0; c < nc; ++c) v[(size_t)(a * no + 5 + c)] += (float)std::log(0.6 / (nc - 0.99999));
    }
    b.copy_from(Tensor::from_vector(v, b.shape()).to(b.dtype()));
  }
}

std::vector<Tensor> Detect::anchors_per_level() const {
  const std::vector<float> a = anchors.to_vector();
  std::vector<Tensor> out;
  for (int l = 0; l < nl; ++l)
    out.push_back(Tensor::from_vector(std::vector<float>(a.begin() + l * 2 * na, a.begin() + (l + 1) * 2 * na), {na, 2}));
  return out;
}

}  // namespace yp
