// test_robustness.cpp: what the commands promise about the file system and bad input (docs/robustness.md) - a
// micrograph counts as done only when its completion record verifies; options are bounded when read; training
// without labels is an error unless allowed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "picker/formats_star.h"
#include "picker/pipeline/pick_run.h"
#include "stand_in.h"
#include "util/atomic_file.h"
#include "util/output_lock.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) { return yp::test::fresh_temp_dir("robust_" + name); }

// Four 128 x 96 micrographs, each with one bright pixel, and run options writing to d/out.
PickRunOptions small_run(const fs::path& d) {
  fs::create_directories(d / "mics");
  for (int i = 0; i < 4; ++i) {
    imgproc::Image img(128, 96, 0.f);
    img.at(20 + 10 * i, 30) = 1.f;
    imgproc::write_png((d / "mics" / ("r" + std::to_string(i) + ".png")).string(), img);
  }
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.pick.mode = PickMode::Tile;
  return o;
}

const yolo::Detector& finder() {
  static const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(1, 16), 1, 128);
  return m;
}

// Resume used to trust existence: a 0-byte STAR or a truncated .box counted as done and stayed in the index.
TEST(PickResume, OutputsThatDoNotVerifyArePickedAgain) {
  const fs::path d = fresh_dir("resume");
  const PickRunOptions o = small_run(d);
  ASSERT_EQ(run_pick(finder(), o, nullptr).picked, 4);
  const MicrographOutputs m0 = outputs_for(o.out_dir, o.inputs[0]), m1 = outputs_for(o.out_dir, o.inputs[1]);
  const MicrographOutputs m2 = outputs_for(o.out_dir, o.inputs[2]);
  EXPECT_TRUE(outputs_done(m0, true));
  const std::string good_box = [&] { std::ifstream f(m1.box); return std::string(std::istreambuf_iterator<char>(f), {}); }();
  std::ofstream(m0.star, std::ios::trunc).flush();                                   // 0 bytes
  std::ofstream(m1.box, std::ios::trunc) << good_box.substr(0, good_box.size() / 2);  // truncated
  fs::remove(m2.record);                                                             // the run died before it
  EXPECT_FALSE(outputs_done(m0, true));
  EXPECT_FALSE(outputs_done(m1, true));
  EXPECT_FALSE(outputs_done(m2, true));
  EXPECT_FALSE(outputs_done(m1, false));  // the .box is needed with or without the PNG
  // The index, written before the next run, lists only the micrograph that still verifies.
  EXPECT_EQ(write_pick_index(done_micrographs(o.inputs, o.out_dir, true), o.out_dir, o.project_dir), 1);
  const PickRunSummary s = run_pick(finder(), o, nullptr);
  EXPECT_EQ(s.already_done, 1);
  EXPECT_EQ(s.picked, 3);
  EXPECT_EQ(s.redone.size(), 3u);
  EXPECT_EQ(s.index_entries, 4);
  EXPECT_GT(fs::file_size(m0.star), 0u);
  EXPECT_EQ(read_star_coordinates(m0.star, 16).picks.size(), 1u);
  fs::remove_all(d);
}

// A full disk (injected writer failure on one micrograph's .box): no truncated file under a final name, no
// temporary file, the micrograph named as not written, not indexed, and picked again by the next run. A
// temporary file a killed writer left is swept at the start.
TEST(PickRun, AFullDiskLosesNothingSilently) {
  const fs::path d = fresh_dir("fulldisk");
  const PickRunOptions o = small_run(d);
  const MicrographOutputs r1 = outputs_for(o.out_dir, o.inputs[1]);
  fs::create_directories(o.out_dir);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  std::string left = temporary_path((d / "out" / "r3.png").string());
  left = left.substr(0, left.rfind('.') + 1) + std::to_string(child);  // as if written by a killed run
  std::ofstream(left) << "half a png";
  set_write_failure_for_testing([&](const std::string& p) { return p == r1.box; });
  PickRunSummary s = run_pick(finder(), o, nullptr);
  set_write_failure_for_testing(nullptr);
  EXPECT_EQ(s.swept, 1);
  EXPECT_EQ(s.picked, 3);
  ASSERT_EQ(s.not_written.size(), 1u);
  EXPECT_EQ(s.not_written[0], o.inputs[1]);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].find(r1.box + ": not written: No space left on device"), std::string::npos) << s.failures[0];
  EXPECT_FALSE(fs::exists(r1.box));
  EXPECT_FALSE(fs::exists(r1.record));
  EXPECT_EQ(s.index_entries, 3);
  for (const auto& e : fs::recursive_directory_iterator(d / "out"))
    EXPECT_EQ(e.path().string().find(".yp-tmp."), std::string::npos) << e.path();
  s = run_pick(finder(), o, nullptr);
  EXPECT_EQ(s.picked, 1);
  EXPECT_EQ(s.index_entries, 4);
  fs::remove_all(d);
}

// One symlink loop in the input folder aborted the whole run (a raw filesystem error, 0 of 4 picked); a dangling
// link was skipped without a word. Both are now failures of their own micrograph, named, and the rest is picked.
TEST(PickRun, SymlinkLoopsAndDanglingLinksFailAloneAndNamed) {
  const fs::path d = fresh_dir("links");
  PickRunOptions o = small_run(d);
  fs::create_symlink("loop.mrc", d / "mics" / "loop.mrc");
  fs::create_symlink("missing.png", d / "mics" / "gone.png");
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  EXPECT_EQ(o.inputs.size(), 6u);
  const PickRunSummary s = run_pick(finder(), o, nullptr);
  EXPECT_EQ(s.picked, 4);
  ASSERT_EQ(s.failures.size(), 2u);
  std::string all = s.failures[0] + "\n" + s.failures[1];
  EXPECT_NE(all.find((d / "mics" / "loop.mrc").string()), std::string::npos) << all;
  EXPECT_NE(all.find((d / "mics" / "gone.png").string()), std::string::npos) << all;
  fs::remove_all(d);
}

// Two runs into one folder both did all the work; the second is now refused before any work, naming the holder.
// The holder is another process (record locks belong to a process); sharded tasks lock apart.
TEST(PickRun, ASecondRunIntoTheSameFolderIsRefusedNamingTheHolder) {
  const fs::path d = fresh_dir("lock");
  PickRunOptions o = small_run(d);
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::close(release[1]);  // else its own copy of the write end keeps the read below from ever ending
    const OutputLock lock(o.out_dir, ".yolopick-pick-0-of-1.lock", "pick shard 0/1");
    char c = 1;
    (void)!::write(ready[1], &c, 1);
    (void)!::read(release[0], &c, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(release[0]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  try {
    run_pick(finder(), o, nullptr);
    ADD_FAILURE() << "the second run was not refused";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(o.out_dir + ": another run is writing here (pid " + std::to_string(holder) + " on "),
              std::string::npos) << m;
    EXPECT_NE(m.find("pick shard 0/1"), std::string::npos) << m;
  }
  EXPECT_FALSE(fs::exists(outputs_for(o.out_dir, o.inputs[0]).star));
  o.shard_count = 2;  // another shard of the same job is not held up
  EXPECT_EQ(run_pick(finder(), o, nullptr).picked, 2);
  ::close(release[1]);
  ::waitpid(holder, nullptr, 0);
  o.shard_count = 1;  // the holder is gone: the lock is free (the kernel released it)
  EXPECT_EQ(run_pick(finder(), o, nullptr).picked, 2);
  fs::remove_all(d);
}

// A space in -o used to be reported as a space in an input path that had none, after every micrograph was picked.
TEST(PickRun, ASpaceInTheOutputPathIsRefusedBeforeAnyWork) {
  const fs::path d = fresh_dir("space");
  PickRunOptions o = small_run(d);
  o.out_dir = (d / "out dir").string();
  try {
    run_pick(finder(), o, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(o.out_dir + ": the output folder's path has a space"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
  fs::remove_all(d);
}

#ifdef YOLOPICK_EXE
using test::run_command;

// The one line a command prints and its exit code.
std::pair<int, std::string> run(const std::string& args) {
  std::string out;
  const int rc = run_command(std::string(YOLOPICK_EXE) + " " + args, out);
  return {rc, out};
}

// Out-of-range options fail when read, naming the flag and the range, before a model or data set is opened
// (the model and data paths here do not exist: the option must be the first complaint).
TEST(RobustCommand, OptionsAreBoundedBeforeAnyWork) {
  const std::string pick = "pick --model /nonexistent/m.safetensors --input /nonexistent -o /nonexistent/out ";
  const std::string train = "train --data /nonexistent/data.yaml --model yolov5n --out /nonexistent/run ";
  const std::pair<std::string, std::string> cases[] = {
      {pick + "--min-distance -3", "--min-distance: expected a number in [0, 50000], got '-3'"},
      {pick + "--edge-margin 1e9", "--edge-margin: expected a number in [0, 50000], got '1e9'"},
      {train + "--epochs 0", "--epochs: expected an integer in [1, 100000], got '0'"},
      {train + "--lr0 1e30", "--lr0: expected a number in [1e-08, 1], got '1e30'"},
      {train + "--imgsz 100000", "--imgsz: expected an integer in [64, 8192], got '100000'"},
  };
  for (const auto& [args, message] : cases) {
    const auto [rc, out] = run(args);
    EXPECT_EQ(rc, 1) << args;
    EXPECT_NE(out.find(message), std::string::npos) << args << "\n" << out;
  }
}

// A data set whose labels folder is missing used to train to the end on background and exit 0.
TEST(RobustCommand, TrainingWithoutAnyLabelIsAnErrorUnlessAllowed) {
  const fs::path d = fresh_dir("nolabels");
  for (const char* split : {"train", "val"}) {
    fs::create_directories(d / "images" / split);
    imgproc::write_png((d / "images" / split / "a.png").string(), imgproc::Image(64, 64, 0.5f));
  }
  std::ofstream(d / "data.yaml") << "train: images/train\nval: images/val\nnc: 1\nnames: ['particle']\n";
  const std::string train = "train --data " + (d / "data.yaml").string() + " --model yolov5n --epochs 1 --imgsz 64 "
                            "--batch 1 --workers 0 --out " + (d / "run").string();
  const auto [rc, out] = run(train);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("not one of the 1 'train' images has a label"), std::string::npos) << out;
  EXPECT_NE(out.find((d / "labels" / "train" / "a.txt").string()), std::string::npos) << out;
  EXPECT_NE(out.find("--allow-empty"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(d / "run" / "last.ckpt"));
  EXPECT_EQ(run(train + " --allow-empty").first, 0);
  EXPECT_TRUE(fs::exists(d / "run" / "last.ckpt"));
  fs::remove_all(d);
}
#endif

}  // namespace
}  // namespace yp::picker
