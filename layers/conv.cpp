// conv.cpp: Conv (conv + BN + SiLU) and Conv2d (conv + bias); see conv.h.
#include "layers/conv.h"

#include <cmath>

#include "tensor/autograd.h"
#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"

namespace yp {

Tensor default_conv_init(const Shape& shape, int64_t fan_in, Rng* rng) {
  if (!rng) return Tensor::zeros(shape);
  const double bound = 1.0 / std::sqrt((double)fan_in);
  return rand_uniform(shape, -bound, bound, *rng);
}

Conv::Conv(int c1_, int c2_, int k_, int s_, Rng* rng, int padding_)
    : c1(c1_), c2(c2_), k(k_), s(s_), padding(padding_ < 0 ? k_ / 2 : padding_) {
  YP_CHECK(c1 > 0 && c2 > 0 && k > 0 && s > 0, "Conv: bad arguments c1=" + std::to_string(c1) + " c2=" +
                                                   std::to_string(c2) + " k=" + std::to_string(k) +
                                                   " s=" + std::to_string(s));
  weight = default_conv_init({c2, c1, k, k}, (int64_t)c1 * k * k, rng);
  bn_weight = Tensor::full({c2}, 1.0);
  bn_bias = Tensor::zeros({c2});
  running_mean = Tensor::zeros({c2});
  running_var = Tensor::full({c2}, 1.0);
  num_batches_tracked = Tensor::zeros({});
  // Named as the children "conv" and "bn" of models.common.Conv; within one module parameters come
  // before buffers, which is PyTorch's order for these six entries too.
  register_parameter("conv.weight", &weight);
  register_parameter("bn.weight", &bn_weight);
  register_parameter("bn.bias", &bn_bias);
  register_buffer("bn.running_mean", &running_mean);
  register_buffer("bn.running_var", &running_var);
  register_buffer("bn.num_batches_tracked", &num_batches_tracked);
}

Tensor Conv::forward(const Tensor& x) {
  const Conv2dParams p{s, padding};
  if (!training() && folded()) return conv2d_silu(x, folded_.weight, folded_.bias, p);
  Tensor y = conv2d(x, weight, Tensor(), p);
  y = batchnorm2d(y, bn_weight, bn_bias, running_mean, running_var, {training(), kBnMomentum, kBnEps});
  if (training() && num_batches_tracked.device() == Device::CPU)
    num_batches_tracked.fill_(num_batches_tracked.item() + 1);
  return silu(y);
}

void Conv::fold() {
  YP_CHECK(!training(), "Conv::fold: BatchNorm folds only in eval mode (call eval() first)");
  NoGradGuard no_grad;
  const Device device = weight.device();
  const auto host = [](const Tensor& t) { return t.detach().to(Device::CPU); };
  folded_ = fold_batchnorm(host(weight), Tensor(), host(bn_weight), host(bn_bias), host(running_mean),
                           host(running_var), kBnEps);
  on_device_change(device);
}

void Conv::on_device_change(Device device) {
  if (folded()) folded_ = {folded_.weight.to(device), folded_.bias.to(device)};
  num_batches_tracked = num_batches_tracked.to(Device::CPU);
}

Shape Conv::output_shape(const std::vector<Shape>& inputs) const {
  const Shape& x = inputs.at(0);
  YP_CHECK(x.size() == 4 && x[1] == c1,
           "Conv: input " + shape_str(x) + " does not have " + std::to_string(c1) + " channels");
  return {x[0], c2, conv2d_output_size(x[2], k, s, padding), conv2d_output_size(x[3], k, s, padding)};
}

int64_t Conv::flops(const std::vector<Shape>& inputs) const {
  return 2 * shape_numel(output_shape(inputs)) * ((int64_t)c1 * k * k + 1);
}

Conv2d::Conv2d(int c1_, int c2_, int k_, Rng* rng) : c1(c1_), c2(c2_), k(k_) {
  weight = default_conv_init({c2, c1, k, k}, (int64_t)c1 * k * k, rng);
  bias = default_conv_init({c2}, (int64_t)c1 * k * k, rng);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor Conv2d::forward(const Tensor& x) const { return conv2d(x, weight, bias, {1, k / 2}); }

int64_t Conv2d::flops(const Shape& x) const {
  return 2 * x[0] * c2 * conv2d_output_size(x[2], k, 1, k / 2) * conv2d_output_size(x[3], k, 1, k / 2) *
         ((int64_t)c1 * k * k + 1);
}

}  // namespace yp
