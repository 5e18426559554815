// The training loop end to end on the CPU with a tiny YOLOv5-grammar network (tiny_yolo.h): it overfits
// generated squares to mAP@0.5 >= 0.95 and leaves a model file that loads as a detector, and a run killed
// mid-epoch then resumed ends with the same files, bit for bit (sha256), as an uninterrupted run.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "train/checkpoint.h"
#include "tests/train/tiny_yolo.h"
#include "train/trainer.h"
#include "util/sha256.h"
#include "yolo/model_file.h"

namespace fs = std::filesystem;
using namespace yp;
using namespace yp::train;

namespace {

// n gray images (size x size) with 1-3 bright squares of 10-20 px on a noisy dark background.
std::vector<Sample> squares(const fs::path& dir, int n, int size, uint64_t seed) {
  fs::create_directories(dir);
  Rng rng(seed);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    imgproc::Image im(size, size);
    for (float& v : im.data) v = static_cast<float>(0.2 + 0.05 * rng.normal());
    Sample s;
    const int k = 1 + static_cast<int>(rng.randint(0, 3));
    for (int j = 0; j < k; ++j) {
      const int w = 10 + static_cast<int>(rng.randint(0, 11));
      const int x0 = static_cast<int>(rng.randint(0, size - w)), y0 = static_cast<int>(rng.randint(0, size - w));
      bool overlaps = false;
      for (const auto& l : s.labels)
        overlaps = overlaps || (std::abs(l.cx * size - (x0 + w / 2.0)) < (l.w * size + w) / 2 + 2 &&
                                std::abs(l.cy * size - (y0 + w / 2.0)) < (l.h * size + w) / 2 + 2);
      if (overlaps) continue;
      for (int y = y0; y < y0 + w; ++y)
        for (int x = x0; x < x0 + w; ++x) im.at(x, y) = 0.85f;
      s.labels.push_back({0, (x0 + w / 2.0) / size, (y0 + w / 2.0) / size, double(w) / size, double(w) / size});
    }
    for (float& v : im.data) v = std::clamp(v, 0.0f, 1.0f);
    s.image_path = (dir / ("sq" + std::to_string(i) + ".png")).string();
    imgproc::write_png(s.image_path, im);
    out.push_back(s);
  }
  return out;
}

LoaderConfig loader_config(bool augment, uint64_t seed) {
  LoaderConfig c;
  c.input = {yolo::InputRule::Letterbox, "", 64, 1};  // the tiny models have a gray stem
  c.batch_size = 4;
  c.augment = augment;
  c.shuffle = augment;
  c.seed = seed;
  c.workers = 1;
  c.augment_config.mosaic = 0;
  c.augment_config.scale = 0.1;
  c.augment_config.translate = 0.05;
  c.augment_config.brightness = c.augment_config.contrast = 0.05;
  return c;
}

TrainConfig train_config(const fs::path& out, int epochs) {
  TrainConfig t;
  t.out_dir = out.string();
  t.epochs = epochs;
  t.seed = 1;
  t.schedule.lr0 = 0.02;
  t.schedule.warmup_epochs = 1;
  t.schedule.min_warmup_iterations = 8;
  t.schedule.nominal_batch = 4;  // one optimizer step per batch
  t.verbose = false;
  t.plots = false;
  t.names = {"square"};
  return t;
}

}  // namespace

TEST(Trainer, TinyYoloOverfitsGeneratedSquares) {
  const fs::path dir = fs::temp_directory_path() / ("yp_overfit_" + std::to_string(::getpid()));
  const auto samples = squares(dir / "images", 16, 64, 7);
  // The images go through a chain (normalisation only): the model files must record it for pick.
  LoaderConfig train_cfg = loader_config(true, 1), val_cfg = loader_config(false, 1);
  yolo::set_chain(train_cfg.input, "normalize");
  val_cfg.input = train_cfg.input;
  DataLoader train_data(samples, train_cfg);
  DataLoader val_data(samples, val_cfg);
  auto model = test::tiny_yolo(test::kTinyYoloYaml, 1, 1, 0);
  TrainConfig cfg = train_config(dir / "run", 120);
  cfg.plots = true;
  const auto t0 = std::chrono::steady_clock::now();
  const TrainSummary s = yp::train::train(*model, train_data, val_data, cfg);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double best50 = 0;
  for (const auto& r : s.history) best50 = std::max(best50, r.metrics.map50);
  std::printf("overfit: %d epochs, %lld iterations, %.1f s, best mAP50 %.3f (epoch %d), last mAP50 %.3f, wait %.2f s\n",
              s.epochs_completed, (long long)s.iterations, secs, best50, s.best_epoch, s.history.back().metrics.map50,
              s.data_wait_seconds);
  EXPECT_GE(best50, 0.95);
  EXPECT_TRUE(fs::exists(dir / "run/results.csv"));
  EXPECT_TRUE(fs::exists(dir / "run/last.ckpt"));
  // best.safetensors is a model file: it loads as a network with the run's metadata and gives the same
  // validation mAP as the weights the loop selected.
  yolo::LoadedModel best = yolo::load_model((dir / "run/best.safetensors").string());
  EXPECT_EQ(best.model->nc(), 1);
  EXPECT_EQ(best.model->input_channels(), 1);
  EXPECT_EQ(best.info.names, std::vector<std::string>{"square"});
  EXPECT_EQ(best.info.input.rule, yolo::InputRule::Letterbox);
  EXPECT_EQ(best.info.input.size, 64);
  EXPECT_EQ(best.info.input.channels, 1);
  EXPECT_EQ(best.info.input.chain, train_cfg.input.chain);
  yolo::LossConfig lc;
  lc.nc = 1;
  lc.image_size = 64;
  EXPECT_NEAR(validate(*best.model, val_data, lc, ValidationOptions{}).metrics.map50,
              s.history[s.best_epoch].metrics.map50, 1e-6);
  EXPECT_TRUE(fs::exists(dir / "run/results.png"));
  EXPECT_TRUE(fs::exists(dir / "run/PR_curve.png"));
  EXPECT_TRUE(fs::exists(dir / "run/val_pred.png"));
  fs::remove_all(dir);
}

namespace {
// The weights, BN statistics and EMA of a run's last.ckpt.
std::vector<std::pair<std::string, std::vector<float>>> saved_weights(const fs::path& run) {
  const Checkpoint c = load_checkpoint((run / "last.ckpt").string());
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (const auto& [n, t] : c.tensors)
    if (n.rfind("state/", 0) == 0 || n.rfind("ema/", 0) == 0 || n.rfind("opt.m/", 0) == 0) out.emplace_back(n, t.to_vector());
  return out;
}

TrainSummary run(const std::vector<Sample>& samples, const fs::path& out, bool resume, int64_t stop_after, bool save_on_stop) {
  DataLoader train_data(samples, loader_config(true, 3));
  DataLoader val_data(samples, loader_config(false, 3));
  auto model = test::tiny_yolo(test::kTinyYoloYaml, 1, 1, 0);
  TrainConfig cfg = train_config(out, 3);
  cfg.schedule.nominal_batch = 8;  // accumulate 2 batches per step after warm-up: a stop can fall between them
  cfg.resume = resume;
  cfg.stop_after_iterations = stop_after;
  cfg.save_on_stop = save_on_stop;
  return yp::train::train(*model, train_data, val_data, cfg);
}
}  // namespace

TEST(Trainer, KilledAndResumedRunEqualsUninterruptedRun) {
  const fs::path dir = fs::temp_directory_path() / ("yp_resume_" + std::to_string(::getpid()));
  const auto samples = squares(dir / "images", 12, 64, 9);  // 3 batches per epoch, 9 iterations in all
  const TrainSummary full = run(samples, dir / "full", false, -1, false);
  ASSERT_EQ(full.stop_reason, "completed");
  const auto reference = saved_weights(dir / "full");

  // (a) killed in the middle of epoch 1 without saving: resumes from the end of epoch 0.
  EXPECT_EQ(run(samples, dir / "killed", false, 5, false).stop_reason, "stopped");
  const TrainSummary a = run(samples, dir / "killed", true, -1, false);
  EXPECT_EQ(a.stop_reason, "completed");
  EXPECT_EQ(a.iterations, 6);  // epochs 1 and 2 again
  // (b) stopped mid-epoch with a checkpoint (Ctrl-C), after an odd batch: an accumulated gradient is pending.
  EXPECT_EQ(run(samples, dir / "interrupted", false, 5, true).stop_reason, "stopped");
  const TrainSummary b = run(samples, dir / "interrupted", true, -1, false);
  EXPECT_EQ(b.iterations, 4);

  for (const char* name : {"killed", "interrupted"}) {
    const auto got = saved_weights(dir / name);
    ASSERT_EQ(got.size(), reference.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, reference[i].first);
      EXPECT_TRUE(got[i].second == reference[i].second) << name << ": " << got[i].first << " differs";
    }
  }
  // Every final file is byte-identical: the model files carry the BN batch counters, which only last.ckpt's
  // "counter/" tensors can bring back across a kill.
  for (const char* name : {"killed", "interrupted"})
    for (const char* file : {"last.ckpt", "last.safetensors", "best.safetensors", "results.csv"})
      EXPECT_EQ(sha256_file((dir / name / file).string()), sha256_file((dir / "full" / file).string()))
          << name << "/" << file << " differs from the uninterrupted run's";
  // results.csv of the resumed run has each epoch once
  std::ifstream csv(dir / "killed/results.csv");
  int lines = 0;
  for (std::string l; std::getline(csv, l);) ++lines;
  EXPECT_EQ(lines, 1 + 3);
  fs::remove_all(dir);
}

TEST(Trainer, CheckpointRejectsTruncatedFiles) {
  const fs::path dir = fs::temp_directory_path() / ("yp_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Checkpoint c;
  c.meta["epoch"] = "3";
  c.tensors.emplace_back("w", Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}));
  const std::string p = (dir / "a.ckpt").string();
  save_checkpoint(p, c);
  const Checkpoint back = load_checkpoint(p);
  EXPECT_EQ(back.get_int("epoch"), 3);
  EXPECT_EQ(back.find("w")->to_vector(), (std::vector<float>{1, 2, 3}));
  fs::resize_file(p, fs::file_size(p) - 4);
  EXPECT_THROW(load_checkpoint(p), Error);
  fs::remove_all(dir);
}
