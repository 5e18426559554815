// detector.cpp: parameter groups, freezing, state copies, and the TinyDetector (detector.h).
#include "train/detector.h"

#include <cmath>

#include "tensor/autograd.h"
#include "tensor/ops/batchnorm2d.h"
#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/permute.h"

namespace yp::train {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

std::vector<ParamGroup> build_param_groups(const NamedTensors& params, double lr0, double momentum, double weight_decay) {
  ParamGroup bias{"bias", {}, lr0, momentum, 0.0, lr0};
  ParamGroup weight{"weight", {}, lr0, momentum, weight_decay, lr0};
  ParamGroup bn{"bn", {}, lr0, momentum, 0.0, lr0};
  for (const auto& [name, t] : params) {
    if (ends_with(name, ".bias")) bias.params.push_back(t);
    else if (ends_with(name, "bn.weight")) bn.params.push_back(t);
    else if (ends_with(name, ".weight")) weight.params.push_back(t);
    else throw Error("build_param_groups: parameter '" + name + "' is neither a weight nor a bias");
  }
  return {bias, weight, bn};
}

int freeze_layers(const NamedTensors& params, int n) {
  int frozen = 0;
  for (const auto& [name, t] : params)
    for (int i = 0; i < n; ++i)
      if (name.find("model." + std::to_string(i) + ".") != std::string::npos) {
        Tensor h = t;
        h.set_requires_grad(false);
        ++frozen;
        break;
      }
  return frozen;
}

void load_state(const NamedTensors& to, const NamedTensors& from) {
  for (const auto& [name, t] : to) {
    const Tensor* src = nullptr;
    for (const auto& kv : from)
      if (kv.first == name) src = &kv.second;
    if (!src) throw Error("load_state: no tensor '" + name + "' in the saved state");
    if (src->shape() != t.shape())
      throw Error("load_state: '" + name + "' has shape " + shape_str(src->shape()) + ", the model " + shape_str(t.shape()));
    Tensor dst = t;
    dst.copy_from(src->dtype() == t.dtype() ? *src : src->to(t.dtype()));
  }
}

std::vector<Tensor> to_loss_layout(const std::vector<Tensor>& raw, int num_anchors) {
  std::vector<Tensor> out;
  for (const Tensor& r : raw) {
    const int64_t n = r.size(0), c = r.size(1), h = r.size(2), w = r.size(3);
    YP_CHECK(c % num_anchors == 0, "to_loss_layout: channels not divisible by the anchor count");
    out.push_back(permute(r.reshape({n, num_anchors, c / num_anchors, h, w}), {0, 1, 3, 4, 2}));
  }
  return out;
}

namespace {

class TinyDetector : public TrainableDetector {
 public:
  explicit TinyDetector(const TinyDetectorConfig& c) : cfg_(c) {
    Rng rng(c.seed);
    int in = 3;
    for (size_t i = 0; i < c.channels.size(); ++i) {
      const int out = c.channels[i];
      Block b;
      b.weight = uniform({out, in, 3, 3}, 1.0 / std::sqrt(in * 9.0), rng);
      b.gamma = Tensor::full({out}, 1.0).set_requires_grad(true);
      b.beta = Tensor::zeros({out}).set_requires_grad(true);
      b.mean = Tensor::zeros({out});
      b.var = Tensor::full({out}, 1.0);
      blocks_.push_back(b);
      in = out;
    }
    const int na = static_cast<int>(c.anchors_px.size() / 2), no = 5 + c.nc;
    head_w_ = uniform({na * no, in, 1, 1}, 1.0 / std::sqrt(double(in)), rng);
    head_b_ = uniform({na * no}, 1.0 / std::sqrt(double(in)), rng);
    // YOLOv5 _initialize_biases: obj += log(8 / (640 / s)^2), cls += log(0.6 / (nc - 0.99999))
    std::vector<float> b = head_b_.to_vector();
    const double s = stride();
    for (int a = 0; a < na; ++a) {
      b[a * no + 4] += static_cast<float>(std::log(8.0 / ((640.0 / s) * (640.0 / s))));
      for (int k = 0; k < c.nc; ++k) b[a * no + 5 + k] += static_cast<float>(std::log(0.6 / (c.nc - 0.99999)));
    }
    head_b_ = Tensor::from_vector(b, {na * no}).set_requires_grad(true);
    std::vector<float> grid(c.anchors_px.begin(), c.anchors_px.end());
    for (float& v : grid) v /= static_cast<float>(s);
    anchors_ = Tensor::from_vector(grid, {na, 2});
  }

  std::vector<Tensor> forward(const Tensor& images) override {
    Tensor x = images;
    BatchNormParams bn;
    bn.training = training_;
    for (Block& b : blocks_) x = silu(batchnorm2d(conv2d(x, b.weight, Tensor(), {2, 1}), b.gamma, b.beta, b.mean, b.var, bn));
    return {conv2d(x, head_w_, head_b_, {1, 0})};
  }

  NamedTensors named_parameters() override {
    NamedTensors out;
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const std::string p = "model." + std::to_string(i) + ".";
      out.emplace_back(p + "conv.weight", blocks_[i].weight);
      out.emplace_back(p + "bn.weight", blocks_[i].gamma);
      out.emplace_back(p + "bn.bias", blocks_[i].beta);
    }
    const std::string h = "model." + std::to_string(blocks_.size()) + ".m.0.";
    out.emplace_back(h + "weight", head_w_);
    out.emplace_back(h + "bias", head_b_);
    return out;
  }

  NamedTensors state() override {
    NamedTensors out = named_parameters();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const std::string p = "model." + std::to_string(i) + ".bn.";
      out.emplace_back(p + "running_mean", blocks_[i].mean);
      out.emplace_back(p + "running_var", blocks_[i].var);
    }
    return out;
  }

  void set_training(bool t) override { training_ = t; }
  std::vector<Tensor> anchors() const override { return {anchors_}; }
  std::vector<int> strides() const override { return {stride()}; }
  int num_classes() const override { return cfg_.nc; }

 private:
  struct Block {
    Tensor weight, gamma, beta, mean, var;
  };
  int stride() const { return 1 << static_cast<int>(cfg_.channels.size()); }
  // PyTorch's default conv init (kaiming_uniform with a = sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  static Tensor uniform(const Shape& shape, double bound, Rng& rng) {
    Tensor t = rand_uniform(shape, -bound, bound, rng);
    t.set_requires_grad(true);
    return t;
  }

  TinyDetectorConfig cfg_;
  std::vector<Block> blocks_;
  Tensor head_w_, head_b_, anchors_;
  bool training_ = true;
};

}  // namespace

std::unique_ptr<TrainableDetector> make_tiny_detector(const TinyDetectorConfig& config) {
  return std::make_unique<TinyDetector>(config);
}

}  // namespace yp::train
