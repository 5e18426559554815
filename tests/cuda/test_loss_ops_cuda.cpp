// test_loss_ops_cuda.cpp: the ops between the network and the loss on CUDA tensors - permute, sum, mean,
// sum_of_squares, bce_with_logits, to_device and loss_layout + yolo_loss - against the same ops on CPU
// tensors, forward and backward through autograd, on fresh random inputs. permute, sum and mean must give the
// CPU's bits (data movement; ordered_sum's order); sum_of_squares and BCE are compared with a tolerance
// (another summation order / reduction tree, double per element, rounded to float once).
// Every check takes the device under test as a parameter: run on the CPU (the harness tests, which run
// without a GPU) both sides are the same code and must agree to the bit.
#include <cmath>
#include <string>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/ops/bce_with_logits.h"
#include "tensor/ops/permute.h"
#include "tensor/ops/reduce.h"
#include "tensor/ops/to_device.h"
#include "tensor/random.h"
#include "tests/cuda/cuda_test_support.h"
#include "yolo/loss.h"

namespace yp::test {
namespace {

std::string bytes_of(const Tensor& t) {
  const Tensor h = t.to(Device::CPU);
  return std::string(static_cast<const char*>(h.raw_data()), h.nbytes());
}

// An independent copy of `host` on `device` (a new leaf; never the host tensor itself).
Tensor twin(const Tensor& host, Device device, bool requires_grad = true) {
  Tensor t = host.clone().to(device);
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

void check_permute(Device device) {
  struct Case {
    Shape shape;
    std::vector<int> dims;
  };
  const std::vector<Case> cases = {
      {{2, 3, 7, 4, 5}, {0, 1, 3, 4, 2}},                    // the loss layout (N, na, no, H, W) -> (N, na, H, W, no)
      {{33, 65}, {1, 0}},                                    // a ragged transpose
      {{5}, {0}},                                            // identity
      {{4, 1, 3}, {2, 0, -2}},                               // a size-1 dimension, a negative entry
      {{2, 3, 1, 2, 3, 1, 2, 2}, {7, 6, 5, 4, 3, 2, 1, 0}},  // the 8 dimensions the kernel takes
      {{3, 0, 2}, {2, 1, 0}},                                // empty
      {{}, {}},                                              // a scalar
  };
  Rng rng(1);
  for (const Case& c : cases) {
    const Tensor x = randn(c.shape, rng);
    Tensor x_cpu = twin(x, Device::CPU), x_dev = twin(x, device);
    Tensor y_cpu = permute(x_cpu, c.dims), y_dev = permute(x_dev, c.dims);
    EXPECT_EQ(y_dev.device(), device);
    EXPECT_EQ(y_dev.shape(), y_cpu.shape()) << shape_str(c.shape);
    EXPECT_TRUE(bytes_of(y_dev) == bytes_of(y_cpu)) << "forward of " << shape_str(c.shape);
    const Tensor seed = randn(y_cpu.shape(), rng);
    y_cpu.backward(seed);
    y_dev.backward(seed.to(device));
    EXPECT_TRUE(bytes_of(x_dev.grad()) == bytes_of(x_cpu.grad())) << "backward of " << shape_str(c.shape);
  }
  // 2-byte elements (the kernel moves words of the element's size).
  const Tensor h = randn({3, 5, 2}, rng).to(DType::F16);
  EXPECT_TRUE(bytes_of(permute(h.to(device), {1, 2, 0})) == bytes_of(permute(h, {1, 2, 0}))) << "float16";
}

void check_reduce(Device device) {
  Rng rng(2);
  for (const Shape& shape : std::vector<Shape>{{3, 5, 7}, {3 * 4096 + 17}, {200003}, {1}, {}, {2, 0, 3}}) {
    const Tensor x = randn(shape, rng);
    for (bool is_mean : {false, true}) {
      if (is_mean && x.numel() == 0) continue;
      Tensor x_cpu = twin(x, Device::CPU), x_dev = twin(x, device);
      Tensor y_cpu = is_mean ? mean(x_cpu) : sum(x_cpu), y_dev = is_mean ? mean(x_dev) : sum(x_dev);
      const char* what = is_mean ? "mean" : "sum";
      EXPECT_EQ(y_dev.device(), device);
      EXPECT_TRUE(bytes_of(y_dev) == bytes_of(y_cpu)) << what << " of " << shape_str(shape) << ": " << y_dev.item()
                                                      << " vs " << y_cpu.item();
      const Tensor seed = Tensor::full({}, 0.37);
      y_cpu.backward(seed);
      y_dev.backward(seed.to(device));
      EXPECT_TRUE(bytes_of(x_dev.grad()) == bytes_of(x_cpu.grad())) << "backward of " << what << " " << shape_str(shape);
    }
  }
  // The gradient norm of clipping: several tensors, one undefined, one empty; another order on the GPU.
  std::vector<Tensor> host = {randn({70000}, rng), Tensor(), randn({3, 3}, rng), Tensor::zeros({0}), randn({4097}, rng)};
  std::vector<Tensor> dev;
  for (const Tensor& t : host) dev.push_back(t.defined() ? t.to(device) : Tensor());
  const double ref = sum_of_squares(host), got = sum_of_squares(dev);
  EXPECT_NEAR(got, ref, (device == Device::CPU ? 0.0 : 1e-12) * ref);
}

void check_bce(Device device) {
  Rng rng(3);
  const Tensor z = rand_uniform({3, 4097}, -20.0, 20.0, rng), t = rand_uniform({3, 4097}, 0.0, 1.0, rng);
  const double tol = device == Device::CPU ? 0.0 : kTolFP32;
  for (double pos_weight : {1.0, 2.5})
    for (bool target_grad : {false, true})
      for (bool logit_grad : {true, false}) {
        if (!target_grad && !logit_grad) continue;
        Tensor z_cpu = twin(z, Device::CPU, logit_grad), z_dev = twin(z, device, logit_grad);
        Tensor t_cpu = twin(t, Device::CPU, target_grad), t_dev = twin(t, device, target_grad);
        Tensor l_cpu = bce_with_logits(z_cpu, t_cpu, pos_weight), l_dev = bce_with_logits(z_dev, t_dev, pos_weight);
        const std::string what = "pos_weight " + std::to_string(pos_weight) + (logit_grad ? ", dz" : "") +
                                 (target_grad ? ", dt" : "");
        EXPECT_EQ(l_dev.device(), device);
        EXPECT_TRUE(all_close(l_dev, l_cpu, tol * std::fabs(l_cpu.item()), tol)) << "loss, " << what;
        const Tensor seed = Tensor::full({}, 0.7);
        l_cpu.backward(seed);
        l_dev.backward(seed.to(device));
        if (logit_grad) {
          EXPECT_TRUE(close_to_ref(z_dev.grad().to_vector(), to_doubles(z_cpu.grad()), tol)) << "dz, " << what;
        } else {
          EXPECT_FALSE(z_dev.grad().defined());
        }
        if (target_grad) {
          EXPECT_TRUE(close_to_ref(t_dev.grad().to_vector(), to_doubles(t_cpu.grad()), tol)) << "dt, " << what;
        } else {
          EXPECT_FALSE(t_dev.grad().defined());
        }
      }
}

// loss_layout brings a device's raw outputs to the host: the loss sees the CPU's bytes, and its gradient comes
// back to the device's raw outputs with the bytes the CPU run gives them.
void check_loss_through_layout(Device device) {
  Rng rng(4);
  const int na = 3, nc = 2, no = 5 + nc;
  std::vector<Tensor> raw_host;
  for (int64_t s : {16, 8, 4}) raw_host.push_back(randn({2, na * no, s, s + 2}, rng));  // H != W
  std::vector<Tensor> raw_cpu, raw_dev;
  for (const Tensor& r : raw_host) raw_cpu.push_back(twin(r, Device::CPU)), raw_dev.push_back(twin(r, device));
  const std::vector<Tensor> anchors = {Tensor::from_vector(std::vector<float>{1.25f, 1.625f, 2, 3.75f, 4.125f, 2.875f}, {3, 2}),
                                       Tensor::from_vector(std::vector<float>{1.875f, 3.8125f, 3.875f, 2.8125f, 3.6875f, 7.4375f}, {3, 2}),
                                       Tensor::from_vector(std::vector<float>{3.625f, 2.8125f, 4.875f, 6.1875f, 11.65625f, 10.1875f}, {3, 2})};
  std::vector<yolo::Target> targets;
  for (int i = 0; i < 12; ++i)
    targets.push_back({i % 2, i % nc, rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.4), rng.uniform(0.05, 0.4)});
  yolo::LossConfig config;
  config.nc = nc;
  config.image_size = 128;
  const std::vector<Tensor> pred_cpu = yolo::loss_layout(raw_cpu, na), pred_dev = yolo::loss_layout(raw_dev, na);
  for (size_t l = 0; l < pred_dev.size(); ++l) {
    EXPECT_EQ(pred_dev[l].device(), Device::CPU) << "level " << l << ": the loss takes host tensors";
    EXPECT_TRUE(bytes_of(pred_dev[l]) == bytes_of(pred_cpu[l])) << "level " << l;
  }
  const yolo::LossResult l_cpu = yolo::yolo_loss(pred_cpu, anchors, targets, config);
  const yolo::LossResult l_dev = yolo::yolo_loss(pred_dev, anchors, targets, config);
  EXPECT_GT(l_dev.positives, 0);
  EXPECT_TRUE(bytes_of(l_dev.total) == bytes_of(l_cpu.total));
  l_cpu.total.backward();
  l_dev.total.backward();
  for (size_t l = 0; l < raw_dev.size(); ++l) {
    ASSERT_TRUE(raw_dev[l].grad().defined()) << "level " << l;
    EXPECT_EQ(raw_dev[l].grad().device(), device);
    EXPECT_TRUE(bytes_of(raw_dev[l].grad()) == bytes_of(raw_cpu[l].grad())) << "gradient of level " << l;
  }
}

TEST(CudaLossOpsHarness, TwinsOnTheCpuAgreeExactly) {
  check_permute(Device::CPU);
  check_reduce(Device::CPU);
  check_bce(Device::CPU);
  check_loss_through_layout(Device::CPU);
  const Tensor x = Tensor::zeros({2});
  EXPECT_EQ(to_device(x, Device::CPU).id(), x.id()) << "to_device onto the tensor's own device is the tensor";
}

TEST(CudaLossOps, PermuteGivesTheCpuBits) {
  YP_REQUIRE_CUDA();
  check_permute(Device::CUDA);
}

TEST(CudaLossOps, SumAndMeanGiveTheCpuBits) {
  YP_REQUIRE_CUDA();
  check_reduce(Device::CUDA);
}

TEST(CudaLossOps, BceWithLogitsMatchesCpu) {
  YP_REQUIRE_CUDA();
  check_bce(Device::CUDA);
}

TEST(CudaLossOps, LossLayoutBringsOutputsToTheHostAndGradientsBack) {
  YP_REQUIRE_CUDA();
  check_loss_through_layout(Device::CUDA);
}

TEST(CudaLossOps, ToDeviceRoundTripAndGradient) {
  YP_REQUIRE_CUDA();
  Rng rng(5);
  Tensor x = randn({4, 1025}, rng).set_requires_grad(true);
  Tensor on_gpu = to_device(x, Device::CUDA);
  EXPECT_TRUE(on_gpu.is_cuda());
  Tensor back = to_device(on_gpu, Device::CPU);
  EXPECT_TRUE(bytes_of(back) == bytes_of(x));
  const Tensor seed = randn(x.shape(), rng);
  back.backward(seed);
  EXPECT_TRUE(bytes_of(x.grad()) == bytes_of(seed));
}

// A backward that hands a gradient of the wrong device is a clear error, not a kernel reading host memory.
TEST(CudaLossOps, GradientOnTheWrongDeviceIsAnError) {
  YP_REQUIRE_CUDA();
  Tensor x = Tensor::zeros({3}, DType::F32, Device::CUDA).set_requires_grad(true);
  Tensor y = record("wrong_device", x.detach().clone(), {x}, [](const Tensor& g) { return std::vector<Tensor>{g.to(Device::CPU)}; });
  try {
    y.backward(Tensor::full({3}, 1.0, DType::F32, Device::CUDA));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gradient on cpu"), std::string::npos) << e.what();
  }
  EXPECT_THROW(y.backward(Tensor::full({3}, 1.0)), Error) << "a host seed for a device tensor";
}

}  // namespace
}  // namespace yp::test
