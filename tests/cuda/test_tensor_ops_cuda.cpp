// test_tensor_ops_cuda.cpp: the tensor ops on CUDA tensors (the YP_CUDA_DISPATCH branches) agree
// with the same ops on CPU tensors, forward and backward, through autograd - a Conv -> BN -> SiLU
// -> max-pool -> upsample -> concat chain like a YOLOv5 block, in training mode.
#include "tensor/autograd.h"
#include "tensor/ops/batchnorm2d.h"
#include "tensor/ops/concat.h"
#include "tensor/ops/conv2d.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/maxpool2d.h"
#include "tensor/ops/upsample.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

struct Params {
  Tensor x, w, gamma, beta, rm, rv;
};

Params make_params(Device d) {
  const auto x = random_floats(2 * 4 * 12 * 12, 1), w = random_floats(6 * 4 * 3 * 3, 2),
             g = random_floats(6, 3, 0.5f, 1.5f), b = random_floats(6, 4);
  Params p;
  p.x = Tensor::from_vector(x, {2, 4, 12, 12}).to(d).set_requires_grad(true);
  p.w = Tensor::from_vector(w, {6, 4, 3, 3}).to(d).set_requires_grad(true);
  p.gamma = Tensor::from_vector(g, {6}).to(d).set_requires_grad(true);
  p.beta = Tensor::from_vector(b, {6}).to(d).set_requires_grad(true);
  p.rm = Tensor::zeros({6}, DType::F32, d);
  p.rv = Tensor::full({6}, 1.0, DType::F32, d);
  return p;
}

// conv 3x3 s2 -> BN(train) -> SiLU -> [itself, maxpool 5/1/2, upsample x2 of a 1x1 conv's half] concat
Tensor block(Params& p) {
  Tensor y = conv2d(p.x, p.w, Tensor(), {2, 1});
  y = silu(batchnorm2d(y, p.gamma, p.beta, p.rm, p.rv, {true, 0.03, 1e-3}));
  Tensor pooled = maxpool2d(y, 5, 1, 2);
  Tensor small = narrow_channels(maxpool2d(y, 2, 2, 0), 0, 3);
  return concat_channels({y, pooled, upsample_nearest(small, 2)});
}

TEST(CudaTensorOps, YoloBlockForwardBackwardMatchesCpu) {
  YP_REQUIRE_CUDA();
  Params cpu = make_params(Device::CPU), gpu = make_params(Device::CUDA);
  Tensor y_cpu = block(cpu), y_gpu = block(gpu);
  EXPECT_TRUE(gpu.x.is_cuda() && y_gpu.is_cuda());
  EXPECT_TRUE(all_close(y_gpu, y_cpu, 1e-5, 1e-4)) << "forward";
  const auto seed = random_floats((size_t)y_cpu.numel(), 9);
  y_cpu.backward(Tensor::from_vector(seed, y_cpu.shape()));
  y_gpu.backward(Tensor::from_vector(seed, y_gpu.shape()).to(Device::CUDA));
  EXPECT_TRUE(all_close(gpu.x.grad(), cpu.x.grad(), 1e-5, 1e-4)) << "dx";
  EXPECT_TRUE(all_close(gpu.w.grad(), cpu.w.grad(), 1e-4, 1e-4)) << "dw";
  EXPECT_TRUE(all_close(gpu.gamma.grad(), cpu.gamma.grad(), 1e-4, 1e-4)) << "dgamma";
  EXPECT_TRUE(all_close(gpu.beta.grad(), cpu.beta.grad(), 1e-4, 1e-4)) << "dbeta";
  EXPECT_TRUE(all_close(gpu.rm, cpu.rm, 1e-6, 1e-5)) << "running mean";
  EXPECT_TRUE(all_close(gpu.rv, cpu.rv, 1e-6, 1e-5)) << "running var";
}

TEST(CudaTensorOps, ConvOnCudaTensorIsAClearErrorWithoutADevice) {
  std::string reason;
  if (cuda::device_count(&reason) > 0) GTEST_SKIP() << "a device is present; this checks the no-device path";
  EXPECT_THROW(Tensor::zeros({1, 1, 4, 4}, DType::F32, Device::CUDA), Error);
}

}  // namespace
}  // namespace yp::test
