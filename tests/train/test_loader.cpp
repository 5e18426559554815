// DataLoader: batches do not depend on threads or timing, resume mid-epoch, errors surface, and with a
// consumer slower than the workers the wait counter stays near zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "imgproc/image_io.h"
#include "imgproc/mrc.h"
#include "train/loader.h"

namespace fs = std::filesystem;
using namespace yp;
using namespace yp::train;

namespace {
std::vector<Sample> make_samples(const fs::path& dir, int n) {
  fs::create_directories(dir);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    imgproc::Image im(80, 64, 0.2f);
    for (int y = 20; y < 36; ++y)
      for (int x = 10 + i; x < 30 + i; ++x) im.at(x, y) = 0.9f;
    const std::string p = (dir / ("im" + std::to_string(i) + ".png")).string();
    imgproc::write_png(p, im);
    out.push_back({p, {{0, (20.0 + i) / 80, 28.0 / 64, 20.0 / 80, 16.0 / 64}}});
  }
  return out;
}
bool same(const Batch& a, const Batch& b) {
  if (a.samples != b.samples || a.targets.size() != b.targets.size()) return false;
  for (size_t i = 0; i < a.targets.size(); ++i)
    if (a.targets[i].cx != b.targets[i].cx || a.targets[i].w != b.targets[i].w) return false;
  return a.images.to_vector() == b.images.to_vector();
}
}  // namespace

TEST(Loader, BatchesIndependentOfThreadsAndResumable) {
  const fs::path dir = fs::temp_directory_path() / ("yp_loader_" + std::to_string(::getpid()));
  const auto samples = make_samples(dir, 7);
  LoaderConfig cfg;
  cfg.input.size = 64;
  cfg.batch_size = 3;
  cfg.seed = 42;
  cfg.workers = 0;
  DataLoader serial(samples, cfg);
  cfg.workers = 2;
  DataLoader threaded(samples, cfg);
  EXPECT_EQ(serial.batches_per_epoch(), 3);
  for (int epoch = 0; epoch < 2; ++epoch) {
    serial.start_epoch(epoch);
    threaded.start_epoch(epoch);
    Batch a, b;
    int n = 0;
    while (serial.next(a)) {
      ASSERT_TRUE(threaded.next(b));
      EXPECT_TRUE(same(a, b)) << "epoch " << epoch << " batch " << n;
      EXPECT_EQ(a.images.size(0), n < 2 ? 3 : 1);
      ++n;
    }
    EXPECT_FALSE(threaded.next(b));
    EXPECT_EQ(n, 3);
  }
  // resume at batch 1 of epoch 1: the same batch as the uninterrupted epoch
  Batch full, resumed;
  serial.start_epoch(1);
  serial.next(full);
  serial.next(full);
  threaded.start_epoch(1, 1);
  ASSERT_TRUE(threaded.next(resumed));
  EXPECT_EQ(resumed.index, 1);
  EXPECT_TRUE(same(full, resumed));
  // epochs differ (shuffle and augmentation)
  serial.start_epoch(5);
  Batch e5;
  serial.next(e5);
  serial.start_epoch(1);
  Batch e1;
  serial.next(e1);
  EXPECT_FALSE(same(e1, e5));
  fs::remove_all(dir);
}

TEST(Loader, ValidationBatchesAreLetterboxedWithExactLabels) {
  const fs::path dir = fs::temp_directory_path() / ("yp_loaderv_" + std::to_string(::getpid()));
  const auto samples = make_samples(dir, 2);
  LoaderConfig cfg;
  cfg.input.size = 160;  // 80x64 -> 160x128 + 16 px pad top and bottom
  cfg.batch_size = 2;
  cfg.augment = cfg.shuffle = false;
  DataLoader val(samples, cfg);
  val.start_epoch(0);
  Batch b;
  ASSERT_TRUE(val.next(b));
  ASSERT_EQ(b.targets.size(), 2u);
  EXPECT_NEAR(b.targets[0].cx, 40.0 / 160, 1e-9);
  EXPECT_NEAR(b.targets[0].cy, (16 + 56.0) / 160, 1e-9);
  EXPECT_NEAR(b.targets[0].w, 40.0 / 160, 1e-9);
  EXPECT_NEAR(b.images.at(0), 114.0 / 255, 1e-6);  // padding
  fs::remove_all(dir);
}

// The validation batch holds exactly the network input inference makes from the same file (network_input,
// yolo/input_pipeline.h): an 8-bit picture that is resized and padded, a float MRC stretched by its percentiles,
// and both through a chain - for a gray and an RGB-stem model. (tests/picker/pipeline/test_pick_matches_training.cpp
// checks the same end to end, with a trained model and pick.)
TEST(Loader, ValidationInputsAreTheInferenceInputs) {
  const fs::path dir = fs::temp_directory_path() / ("yp_loaderi_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Rng rng(5);
  imgproc::Image im(90, 57);
  for (float& v : im.data) v = static_cast<float>(rng.uniform());
  std::vector<Sample> samples = {{(dir / "a.png").string(), {{0, 0.5, 0.5, 0.2, 0.2}}}, {(dir / "b.mrc").string(), {}}};
  imgproc::write_png(samples[0].image_path, im);
  for (float& v : im.data) v = v * 300.f - 40.f;
  imgproc::write_mrc(samples[1].image_path, im);
  for (const bool chain : {false, true})
    for (const int channels : {1, 3}) {
      LoaderConfig cfg;
      cfg.input = {yolo::InputRule::Letterbox, "", 64, channels};
      if (chain) yolo::set_chain(cfg.input, "resize,wiener,normalize");
      cfg.batch_size = 2;
      cfg.augment = cfg.shuffle = false;
      cfg.workers = 0;
      DataLoader val(samples, cfg);
      const Batch b = val.make_batch(0, 0, val.epoch_order(0));
      const std::vector<float> batch = b.images.to_vector();
      for (size_t k = 0; k < samples.size(); ++k) {
        const Tensor one = yolo::network_input(imgproc::read_image(samples[k].image_path), cfg.input, 32).input;
        ASSERT_EQ(one.shape(), (Shape{1, channels, 64, 64}));
        const std::vector<float> v = one.to_vector();
        EXPECT_TRUE(std::equal(v.begin(), v.end(), batch.begin() + k * v.size()))
            << samples[k].image_path << (chain ? " with" : " without") << " a chain, " << channels << " channel(s)";
      }
    }
  fs::remove_all(dir);
}

TEST(Loader, WorkerErrorsReachTheConsumer) {
  LoaderConfig cfg;
  cfg.input.size = 64;
  cfg.batch_size = 1;
  cfg.workers = 2;
  DataLoader bad(std::vector<Sample>{{"/nonexistent/x.png", {}}}, cfg);
  bad.start_epoch(0);
  Batch b;
  EXPECT_THROW(bad.next(b), std::exception);
}

// The model does not wait when the workers run ahead of it: while the consumer is busy they fill the
// queue up to `prefetch` batches and stop there. (How long training actually waited is measured and
// reported by every run: TrainSummary::data_wait_seconds. No timing is asserted here.)
TEST(Loader, WorkersRunAheadUpToThePrefetchBound) {
  const fs::path dir = fs::temp_directory_path() / ("yp_loaderw_" + std::to_string(::getpid()));
  const auto samples = make_samples(dir, 16);
  LoaderConfig cfg;
  cfg.input.size = 64;
  cfg.batch_size = 2;
  cfg.workers = 2;
  cfg.prefetch = 3;
  DataLoader loader(samples, cfg);
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (loader.batches_ready() < cfg.prefetch && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(loader.batches_ready(), cfg.prefetch) << "the workers did not fill the queue ahead of the consumer";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(loader.batches_ready(), cfg.prefetch) << "the queue grew past its bound";
  int taken = 1;
  while (loader.next(b)) ++taken;
  EXPECT_EQ(taken, 8);
  EXPECT_EQ(loader.batches_delivered(), 8);
  fs::remove_all(dir);
}

// With a physical scale: the micrograph at the network's pixel size (here half of the picture's), training batches
// of S x S crops, each micrograph ceil(area / S^2) times per epoch; validation is one batch per micrograph holding
// exactly the tiles pick makes (yolo::picture_inputs), the labels of each tile clipped to it, and the micrograph's
// labels in its own pixels.
TEST(Loader, ScaledTrainingCropsAndValidationTiles) {
  const fs::path dir = fs::temp_directory_path() / ("yp_loaders_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  imgproc::Image im(300, 200, 0.1f);
  for (int y = 40; y < 80; ++y)
    for (int x = 100; x < 160; ++x) im.at(x, y) = 0.9f;
  const std::vector<Sample> samples = {{(dir / "a.png").string(), {{0, 130.0 / 300, 60.0 / 200, 60.0 / 300, 40.0 / 200}}}};
  imgproc::write_png(samples[0].image_path, im);
  LoaderConfig cfg;
  cfg.input = {yolo::InputRule::Letterbox, "", 64, 1};
  cfg.input.pixel_size = 2.0;
  cfg.input.particle_diameter = 40;  // 20 px at the network: tiles overlap by 32
  cfg.apix = 1.0;                    // 300 x 200 -> 150 x 100 at the network
  cfg.batch_size = 2;
  cfg.workers = 0;
  DataLoader train_data(samples, cfg);
  EXPECT_EQ(train_data.epoch_length(), 4);  // ceil(150 * 100 / 64^2)
  EXPECT_EQ(train_data.batches_per_epoch(), 2);
  const Batch t = train_data.make_batch(0, 0, train_data.epoch_order(0));
  EXPECT_EQ(t.images.shape(), (Shape{2, 1, 64, 64}));

  cfg.augment = cfg.shuffle = false;
  DataLoader val(samples, cfg);
  EXPECT_EQ(val.batches_per_epoch(), 1);
  const Batch b = val.make_batch(0, 0, val.epoch_order(0));
  imgproc::LoadedImage pic = imgproc::read_image(samples[0].image_path);
  yolo::set_pixel_size(pic, 1.0, cfg.input, samples[0].image_path);
  const yolo::PictureInputs pick = yolo::picture_inputs(pic, cfg.input, 32);
  ASSERT_EQ(pick.inputs.size(), 4u * 3u);  // x starts 0, 32, 64, 86; y starts 0, 32, 36
  ASSERT_EQ(b.images.size(0), 12);
  std::vector<float> want;
  for (const yolo::NetworkInput& in : pick.inputs) {
    const std::vector<float> v = in.input.to_vector();
    want.insert(want.end(), v.begin(), v.end());
  }
  EXPECT_TRUE(b.images.to_vector() == want) << "validation tiles are not pick's tiles";
  ASSERT_EQ(b.picture_boxes.size(), 1u);
  EXPECT_NEAR(b.picture_boxes[0].x1, 100, 1e-9);
  EXPECT_NEAR(b.picture_boxes[0].y2, 80, 1e-9);
  // The particle (50..80 x 20..40 at the network) is whole in the tile at (32, 0) only, clipped in its neighbours.
  int whole = 0;
  for (const yolo::Target& tg : b.targets)
    if (std::abs(tg.w * 64 - 30) < 1e-9 && std::abs(tg.h * 64 - 20) < 1e-9) {
      ++whole;
      EXPECT_EQ(tg.image, 1);
      EXPECT_NEAR(tg.cx * 64, 65 - 32, 1e-9);
    }
  EXPECT_EQ(whole, 1);
  // A PNG without --apix stops the loader, naming the file.
  cfg.apix = 0;
  try {
    DataLoader no_apix(samples, cfg);
    FAIL() << "a picture without a pixel size was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a.png: the picture states no pixel size"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
