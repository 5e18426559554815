// test_pick_inputs.cpp: what a pick run accepts as micrographs - MRC stacks (each section, or --section), TIFF,
// label and pick files given by mistake - and where the RELION index points from the project folder, whatever
// the working directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "imgproc/mrc.h"
#include "picker/formats_star.h"
#include "picker/pipeline/pick_run.h"
#include "stand_in.h"
#include "tests/support/temp_dir.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) { return yp::test::fresh_temp_dir("inputs_" + name); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A float stack (mode 2, NZ = sections, as RELION writes .mrcs) of 128 x 96 sections, section k with a bright 4 x 4
// block at x = 20 + 10 k .. 23 + 10 k, y = 30 .. 33 on a zero background. An MRC's values reach the network
// stretched between their 0.1 and 99.9 % percentiles: the block's 16 pixels (0.13 %) keep it at 1, alone.
void write_stack(const std::string& path, int sections) {
  std::vector<imgproc::Image> pages;
  for (int k = 0; k < sections; ++k) {
    imgproc::Image img(128, 96, 0.f);
    for (int y = 30; y < 34; ++y)
      for (int x = 20 + 10 * k; x < 24 + 10 * k; ++x) img.at(x, y) = 1.f;
    pages.push_back(img);
  }
  imgproc::write_mrc(path, pages[0]);
  // write_mrc writes one section: append the others and set NZ (word 3) and MZ (word 10).
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(0, std::ios::end);
  for (int k = 1; k < sections; ++k) f.write((const char*)pages[k].data.data(), (std::streamsize)(pages[k].size() * 4));
  const int32_t nz = sections;
  f.seekp(8);
  f.write((const char*)&nz, 4);
  f.seekp(36);
  f.write((const char*)&nz, 4);
}

TEST(PickInputs, EntriesNameStackSectionsTheRelionWay) {
  EXPECT_EQ(section_entry("a/stack.mrcs", 0), "1@a/stack.mrcs");
  const MicrographRef r = parse_micrograph_entry("12@a/stack.mrcs");
  EXPECT_EQ(r.file, "a/stack.mrcs");
  EXPECT_EQ(r.section, 11);
  EXPECT_EQ(parse_micrograph_entry("a/mic@home.mrc").section, -1);  // an '@' inside a name is a name
  EXPECT_EQ(parse_micrograph_entry("a/mic@home.mrc").file, "a/mic@home.mrc");
  EXPECT_EQ(micrograph_stem("12@a/stack.mrcs"), "stack_12");
  EXPECT_EQ(micrograph_stem("a/m1.mrc"), "m1");
}

TEST(PickInputs, StacksGiveEverySectionOrTheChosenOne) {
  const fs::path d = fresh_dir("stack");
  write_stack((d / "stack.mrcs").string(), 3);
  const auto all = expand_micrograph_inputs({(d / "stack.mrcs").string()});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], "1@" + (d / "stack.mrcs").string());
  InputOptions one;
  one.section = 2;
  EXPECT_EQ(expand_micrograph_inputs({(d / "stack.mrcs").string()}, one),
            std::vector<std::string>{(d / "stack.mrcs").string()});

  // Every section is picked as its own micrograph, named stack_K, each with its own block (found as a bright pair
  // of pixels, class 1, centred half a pixel right of the block's left column).
  PickRunOptions o;
  o.inputs = all;
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.write_png = false;
  o.pick.conf = 0.5;
  o.pick.mode = PickMode::Tile;
  const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(2, 16), 2, 128);
  const PickRunSummary s = run_pick(m, o, nullptr);
  EXPECT_TRUE(s.failures.empty()) << s.failures[0];
  for (int k = 0; k < 3; ++k) {
    const MicrographPicks p = read_star_coordinates((d / "out" / ("stack_" + std::to_string(k + 1) + "_autopick.star")).string(), 16);
    ASSERT_EQ(p.picks.size(), 1u) << k;
    EXPECT_NEAR(p.picks[0].x, 20.5 + 10 * k, 1e-3);
  }
  const CoordinateIndex index = read_autopick_index((d / "out" / "autopick.star").string());
  ASSERT_EQ(index.size(), 3u);
  EXPECT_EQ(index[0].first, "1@stack.mrcs");
  EXPECT_EQ(index[0].second, "out/stack_1_autopick.star");

  // --section 1 reads that section of every stack, under the stack's own name.
  o.inputs = expand_micrograph_inputs({(d / "stack.mrcs").string()}, {1, false});
  o.read.mrc.section = 1;
  o.out_dir = (d / "one").string();
  EXPECT_TRUE(run_pick(m, o, nullptr).failures.empty());
  const MicrographPicks p = read_star_coordinates((d / "one" / "stack_autopick.star").string(), 16);
  ASSERT_EQ(p.picks.size(), 1u);
  EXPECT_NEAR(p.picks[0].x, 30.5, 1e-3);
  fs::remove_all(d);
}

TEST(PickInputs, LabelAndPickFilesAreNotMicrographs) {
  const fs::path d = fresh_dir("labels");
  std::ofstream(d / "m1.txt") << "0 0.5 0.5 0.1 0.1\n1 0.2 0.3 0.1 0.1\n";
  std::string e = error_of([&] { expand_micrograph_inputs({(d / "m1.txt").string()}); });
  EXPECT_NE(e.find("holds YOLO labels"), std::string::npos) << e;
  std::ofstream(d / "m1_autopick.star") << "data_\nloop_\n_rlnCoordinateX\n1\n";
  e = error_of([&] { expand_micrograph_inputs({(d / "m1_autopick.star").string()}); });
  EXPECT_NE(e.find("a star file is not a micrograph"), std::string::npos) << e;
  fs::create_directories(d / "empty");
  e = error_of([&] { expand_micrograph_inputs({(d / "empty").string()}); });
  EXPECT_NE(e.find(".tif .tiff"), std::string::npos) << e;
  fs::remove_all(d);
}

// The hand-offs: particles.star holds every micrograph's picks with its project-relative name (cryoSPARC), and
// --split-classes gives a folder per class with its STAR files and its own index (RELION Extract per class).
TEST(PickHandOff, CombinedParticlesAndPerClassFolders) {
  const fs::path d = fresh_dir("handoff");
  fs::create_directories(d / "mics");
  for (int i = 0; i < 2; ++i) {
    imgproc::Image img(128, 96, 0.f);
    img.at(20, 30 + i) = 1.f;                          // class 0: a lone bright pixel
    img.at(60, 50) = img.at(61, 50) = 1.f;             // class 1: a bright pair
    imgproc::write_png((d / "mics" / ("m" + std::to_string(i) + ".png")).string(), img);
  }
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.write_png = false;
  o.split_classes = true;
  o.pick.mode = PickMode::Tile;
  yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(2, 16), 2, 128);
  m.info.names = {"top", "side view"};
  const PickRunSummary s = run_pick(m, o, nullptr);
  ASSERT_TRUE(s.failures.empty()) << s.failures[0];
  EXPECT_EQ(s.particles, 4);
  const std::vector<MicrographPicks> all = read_star_particles((d / "out" / "particles.star").string(), 16);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].micrograph, "mics/m0.png");
  EXPECT_EQ(all[1].micrograph, "mics/m1.png");
  for (const MicrographPicks& mic : all) EXPECT_EQ(mic.picks.size(), 2u);
  EXPECT_TRUE(fs::exists(d / all[1].micrograph));  // cryoSPARC matches these names against its micrographs

  for (const auto& [folder, cls] : {std::make_pair("class1_top", 0), std::make_pair("class2_side_view", 1)}) {
    const CoordinateIndex index = read_autopick_index((d / "out" / folder / "autopick.star").string());
    ASSERT_EQ(index.size(), 2u) << folder;
    EXPECT_EQ(index[0].first, "mics/m0.png");
    EXPECT_EQ(index[0].second, std::string("out/") + folder + "/m0_autopick.star");
    const MicrographPicks p = read_star_coordinates((d / index[0].second).string(), 16);
    ASSERT_EQ(p.picks.size(), 1u) << folder;
    EXPECT_EQ(p.picks[0].cls, cls);
  }
  fs::remove_all(d);
}

// --layout cryolo: crYOLO's folders, the index and particles.star pointing into them; the distribution plots in
// DISTR/ in either layout.
TEST(PickHandOff, CryoloLayoutAndDistributionPlots) {
  const fs::path d = fresh_dir("cryolo");
  fs::create_directories(d / "mics");
  imgproc::Image img(128, 96, 0.f);
  img.at(20, 30) = 1.f;
  imgproc::write_png((d / "mics" / "m0.png").string(), img);
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.layout = OutputLayout::Cryolo;
  o.split_classes = true;
  o.pick.mode = PickMode::Tile;
  const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(1, 16), 1, 128);
  ASSERT_TRUE(run_pick(m, o, nullptr).failures.empty());
  for (const char* f : {"STAR/m0.star", "EMAN/m0.box", "CBOX/m0.cbox", "CSV/m0.csv", "YOLO/m0.txt", "PNG/m0.png",
                        "autopick.star", "particles.star", "DISTR/confidence.png", "DISTR/picks_per_micrograph.png",
                        "STAR/class1_class0/m0_autopick.star", "STAR/class1_class0/autopick.star"})
    EXPECT_TRUE(fs::exists(d / "out" / f)) << f;
  const CoordinateIndex index = read_autopick_index((d / "out" / "autopick.star").string());
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].second, "out/STAR/m0.star");
  EXPECT_EQ(read_star_particles((d / "out" / "particles.star").string(), 16).size(), 1u);
  // A second run finds the micrograph done in this layout.
  EXPECT_EQ(run_pick(m, o, nullptr).already_done, 1);
  fs::remove_all(d);
}

// The index names files from the project folder: run from another working directory, with a relative project
// and relative inputs, and through a symbolic link to the project, each entry must lead from the project to the
// real file.
TEST(PickIndex, PathsLeadFromTheProjectWhateverTheWorkingDirectory) {
  const fs::path d = fresh_dir("index");
  fs::create_directories(d / "proj" / "Micrographs");
  fs::create_directories(d / "elsewhere");
  fs::create_directory_symlink(d / "proj", d / "link");
  imgproc::Image img(64, 64, 0.f);
  img.at(10, 10) = 1.f;
  imgproc::write_png((d / "proj" / "Micrographs" / "a.png").string(), img);
  const fs::path cwd = fs::current_path();
  fs::current_path(d / "elsewhere");
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({"../link/Micrographs/a.png"});
  o.out_dir = "../proj/picks";
  o.project_dir = "../proj";
  o.progress = false;
  o.write_png = false;
  o.pick.mode = PickMode::Tile;
  const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(1, 16), 1, 64);
  const PickRunSummary s = run_pick(m, o, nullptr);
  fs::current_path(cwd);
  EXPECT_TRUE(s.failures.empty());
  const CoordinateIndex index = read_autopick_index((d / "proj" / "picks" / "autopick.star").string());
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].first, "Micrographs/a.png");
  EXPECT_EQ(index[0].second, "picks/a_autopick.star");
  EXPECT_TRUE(fs::exists(d / "proj" / index[0].first));
  EXPECT_TRUE(fs::exists(d / "proj" / index[0].second));
  fs::remove_all(d);
}

}  // namespace
}  // namespace yp::picker
