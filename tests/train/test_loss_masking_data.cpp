// Hard negatives and ignore regions from the files beside the labels into the loader's loss masks, and mixing
// sources (dataset.h DataSource): repeats per epoch, per-image loss weights, checks on the classes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "train/dataset.h"
#include "train/loader.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace yp;
using namespace yp::train;

namespace {
fs::path temp_dir(const std::string& name) { return yp::test::fresh_temp_dir("masking_" + name); }
void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}
using yp::test::error_of;
// A 64 x 64 picture a.png with one 20 x 16 label, NAME.excluded.txt and NAME.uncertain.txt as the real KLH labels.
void write_set(const fs::path& d, const std::string& names) {
  fs::create_directories(d / "images");
  imgproc::write_png((d / "images/a.png").string(), imgproc::Image(64, 64, 0.3f));
  imgproc::write_png((d / "images/b.png").string(), imgproc::Image(64, 64, 0.3f));
  write(d / "labels/a.txt", "0 0.25 0.25 0.3125 0.25\n");
  write(d / "labels/a.excluded.txt", "40 12 ring cut by the border > 50%\n\n48.5 50 aggregate\n");
  write(d / "labels/a.uncertain.txt", "10 50\n");
  write(d / "data.yaml", "train: images\nval: images\nnames: " + names + "\n");
}
}  // namespace

TEST(LossMaskingData, MarkerFilesBesideTheLabelsAreRead) {
  const fs::path d = temp_dir("read");
  write_set(d, "[top, side]");
  const std::vector<Sample> s = load_split(read_dataset_yaml((d / "data.yaml").string()), "train");
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s[0].marks.size(), 3u);
  EXPECT_EQ(s[0].marks[0].kind, MarkKind::Excluded);
  EXPECT_EQ(s[0].marks[1].x, 48.5);
  EXPECT_EQ(s[0].marks[2].kind, MarkKind::Uncertain);
  EXPECT_EQ(s[0].marks[2].y, 50);
  EXPECT_TRUE(s[1].marks.empty());  // no files: nothing marked
  fs::remove_all(d);
}

TEST(LossMaskingData, MalformedMarkerLinesNameFileAndLine) {
  const fs::path d = temp_dir("bad");
  const std::pair<std::string, std::string> cases[] = {
      {"10 20 ok\n12\n", "x.excluded.txt:2: expected 'cx cy [note]'"},
      {"10 20 ok\n\n12 abc debris\n", "x.excluded.txt:3: bad cy 'abc'"},
      {"1e999 5\n", "x.excluded.txt:1: bad cx '1e999'"},
  };
  for (const auto& [text, msg] : cases) {
    write(d / "x.excluded.txt", text);
    const std::string e = error_of([&] { read_marks_for_labels((d / "x.txt").string()); });
    EXPECT_NE(e.find(msg), std::string::npos) << e;
  }
  fs::remove_all(d);
}

TEST(LossMaskingData, TrainingBatchesCarryTheMarksAsLossMasks) {
  const fs::path d = temp_dir("loader");
  write_set(d, "[top, side]");
  std::vector<Sample> samples = load_split(read_dataset_yaml((d / "data.yaml").string()), "train");
  samples[1].marks = {{MarkKind::Uncertain, 32, 32}};  // no labels: the default radius
  LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 64, 1};
  lc.batch_size = 2;
  lc.workers = 0;
  lc.shuffle = false;
  lc.augment_config = {0, 0, 0, 0, 0, 0, 0, 0};  // no mosaic, zoom, shift, flips, turns, jitter: the identity
  DataLoader loader(samples, lc);
  const Batch b = loader.make_batch(0, 0, loader.epoch_order(0));
  ASSERT_EQ(b.masks.regions.size(), 4u);
  const yolo::MaskRegion& hn = b.masks.regions[0];
  EXPECT_EQ(hn.kind, yolo::MaskKind::HardNegative);
  EXPECT_EQ(hn.image, 0);
  EXPECT_NEAR(hn.cx, 40.0 / 64, 1e-12);
  EXPECT_NEAR(hn.cy, 12.0 / 64, 1e-12);
  EXPECT_NEAR(hn.r, 10.0 / 64, 1e-12);  // half the label's larger side (20 px)
  EXPECT_EQ(b.masks.regions[2].kind, yolo::MaskKind::Ignore);
  EXPECT_EQ(b.masks.regions[3].image, 1);
  EXPECT_NEAR(b.masks.regions[3].r, kDefaultMarkRadius / 64, 1e-12);
  EXPECT_TRUE(b.masks.image_weight.empty());  // no source weights: the plain loss
  fs::remove_all(d);
}

TEST(LossMaskingData, SourcesMixByRepeatAndWeight) {
  const fs::path a = temp_dir("srcA"), bdir = temp_dir("srcB"), c = temp_dir("srcC");
  write_set(a, "[top, side]");
  write_set(bdir, "[top, side]");
  write_set(c, "[ring, rod]");
  const std::string ya = (a / "data.yaml").string(), yb = (bdir / "data.yaml").string(), yc = (c / "data.yaml").string();
  const std::vector<DataSource> src = read_sources({ya, yb}, "1, 3", "1,0.5");
  ASSERT_EQ(src.size(), 2u);
  EXPECT_EQ(src[1].repeat, 3);
  const std::vector<Sample> s = load_sources(src, "train");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[2].repeat, 3);
  EXPECT_EQ(s[3].loss_weight, 0.5);
  LoaderConfig lc;
  lc.input = {yolo::InputRule::Letterbox, "", 64, 1};
  lc.batch_size = 8;
  lc.workers = 0;
  DataLoader loader(s, lc);
  EXPECT_EQ(loader.epoch_length(), 2 + 2 * 3);
  const std::vector<int> order = loader.epoch_order(0);
  EXPECT_EQ(std::count(order.begin(), order.end(), 3), 3);
  const Batch b = loader.make_batch(0, 0, order);
  ASSERT_EQ(b.masks.image_weight.size(), 8u);
  for (size_t k = 0; k < 8; ++k) EXPECT_EQ(b.masks.image_weight[k], s[(size_t)b.samples[k]].loss_weight);
  // Validation draws every image once.
  lc.augment = false;
  EXPECT_EQ(DataLoader(s, lc).epoch_length(), 4);

  EXPECT_NE(error_of([&] { read_sources({ya, yc}, "", ""); }).find("differ from those of"), std::string::npos);
  EXPECT_NE(error_of([&] { read_sources({ya, yb}, "1", ""); }).find("--data-repeat gives 1 values for 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_sources({ya, yb}, "1,2.5", ""); }).find("whole number"), std::string::npos);
  EXPECT_NE(error_of([&] { read_sources({ya, yb}, "", "1,-1"); }).find("weight must be >= 0"), std::string::npos);
  EXPECT_NE(error_of([&] { read_sources({ya, yb}, "", "1,x"); }).find("'x' is not a number"), std::string::npos);
  for (const fs::path& p : {a, bdir, c}) fs::remove_all(p);
}
