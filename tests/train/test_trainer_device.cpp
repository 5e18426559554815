// train() on a device that is not there: one clear error naming the reason, before anything is written.
// (Training on the GPU itself is tests/cuda/test_train_cuda.cpp.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tensor/device.h"
#include "tests/train/tiny_yolo.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace yp;
using namespace yp::train;

TEST(TrainerDevice, CudaWithoutADeviceIsAOneLineErrorAndWritesNothing) {
  std::string reason;
  if (cuda_device_count(&reason) > 0) GTEST_SKIP() << "a CUDA device is present; this checks the no-device path";
  LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 64, 1};
  lc.workers = 0;  // nothing is read before next()
  DataLoader train_data({Sample{"never_read.png", {}}}, lc), val_data({Sample{"never_read.png", {}}}, lc);
  auto model = test::tiny_yolo(test::kTinyYoloYaml, 1, 1, 0);
  TrainConfig cfg;
  cfg.out_dir = (fs::temp_directory_path() / ("yp_no_device_" + std::to_string(::getpid()))).string();
  cfg.device = Device::CUDA;
  cfg.verbose = false;
  try {
    yp::train::train(*model, train_data, val_data, cfg);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("no CUDA device (" + reason + ")"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }
  EXPECT_FALSE(fs::exists(cfg.out_dir));
  EXPECT_EQ(model->state_dict()[0].second->device(), Device::CPU);
}
