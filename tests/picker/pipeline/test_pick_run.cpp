// test_pick_run.cpp: the pick run over files - every output reads back to the same picks, a corrupt
// micrograph is reported and skipped, a second run resumes, shards partition the inputs, the index lists every
// done micrograph with relative paths; and the real command line end to end with yolov5n (untrained 2-class
// transfer: the picks mean nothing, the plumbing runs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "imgproc/image_io.h"
#include "imgproc/mrc.h"
#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/pipeline/pick_run.h"
#include "stand_in.h"
#include "tests/support/run_command.h"
#include "tests/support/shared_data.h"
#include "tests/support/temp_dir.h"

namespace yp::picker {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) { return yp::test::fresh_temp_dir("pick_" + name); }

TEST(PickInputs, ShardsPartitionTheSortedInputs) {
  std::vector<std::string> all;
  for (int i = 0; i < 23; ++i) all.push_back("mic" + std::to_string(100 + i) + ".mrc");
  for (int n : {1, 2, 3, 8, 30}) {
    std::multiset<std::string> seen;
    for (int i = 0; i < n; ++i)
      for (const std::string& m : shard_inputs(all, i, n)) seen.insert(m);
    EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end())) << n;
  }
  EXPECT_EQ(parse_shard("3/8"), std::make_pair(3, 8));
  EXPECT_THROW(parse_shard("8/8"), Error);
  EXPECT_THROW(parse_shard("1"), Error);
  EXPECT_THROW(parse_shard("a/2"), Error);
}

TEST(PickInputs, FoldersGlobsAndListFiles) {
  const fs::path d = fresh_dir("inputs");
  fs::create_directories(d / "a");
  for (const char* n : {"a/x1.mrc", "a/x2.png", "a/notes.md", "y1.mrc"}) std::ofstream(d / n) << "x";
  std::ofstream(d / "list.txt") << "# micrographs\na/x1.mrc\n\ny1.mrc\n";
  const auto folder = expand_micrograph_inputs({(d / "a").string()});
  EXPECT_EQ(folder.size(), 2u);
  const auto glob = expand_micrograph_inputs({(d / "a" / "*.mrc").string(), (d / "y1.mrc").string()});
  EXPECT_EQ(glob.size(), 2u);
  const auto list = expand_micrograph_inputs({(d / "list.txt").string()});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (d / "a" / "x1.mrc").string());
  EXPECT_THROW(expand_micrograph_inputs({(d / "nothing*.mrc").string()}), Error);
  EXPECT_THROW(expand_micrograph_inputs({(d / "missing.mrc").string()}), Error);
  std::ofstream(d / "x1.png") << "x";  // same stem as a/x1.mrc: outputs would collide
  EXPECT_THROW(expand_micrograph_inputs({(d / "a").string(), (d / "x1.png").string()}), Error);
  fs::remove_all(d);
}

TEST(PickRun, OutputsRoundTripCorruptIsSkippedAndASecondRunResumes) {
  const fs::path d = fresh_dir("run");
  fs::create_directories(d / "mics");
  // Three 300 x 200 8-bit micrographs with bright pixels at known places (an MRC's values would be stretched by
  // their percentiles, which a few bright pixels do not move); one corrupt file.
  const std::vector<std::pair<int, int>> at = {{40, 30}, {150, 120}, {260, 170}};
  for (int i = 0; i < 3; ++i) {
    imgproc::Image img(300, 200, 0.f);
    for (auto [x, y] : at) img.at(x + i, y) = 1.f;
    imgproc::write_png((d / "mics" / ("m" + std::to_string(i) + ".png")).string(), img);
  }
  std::ofstream(d / "mics" / "bad.mrc") << "this is not an MRC file";
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.pick.conf = 0.5;
  o.pick.mode = PickMode::Tile;  // one tile, padded not scaled: the bright pixels stay exact
  const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(2, 24), 2, 320);
  PickRunSummary s = run_pick(m, o, nullptr);
  EXPECT_EQ(s.picked, 3);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].find("bad.mrc"), std::string::npos) << s.failures[0];
  EXPECT_EQ(s.picks_per_class[0], 9);

  // Every format reads back to the same centres (EMAN's integer corners: within half a pixel).
  const MicrographOutputs out = outputs_for(o.out_dir, (d / "mics" / "m1.png").string());
  const MicrographPicks star = read_star_coordinates(out.star, 24);
  const MicrographPicks box = read_eman_box(out.box);
  const MicrographPicks cbox = read_cbox(out.cbox);
  const MicrographPicks csv = read_picks_csv(out.csv);
  const MicrographPicks txt = read_yolo_txt(out.txt, 300, 200);
  EXPECT_TRUE(fs::exists(out.png));
  for (const MicrographPicks* f : {&star, &box, &cbox, &csv, &txt}) {
    ASSERT_EQ(f->picks.size(), 3u);
    std::set<std::pair<int, int>> got;
    for (const Pick& p : f->picks) {
      EXPECT_NEAR(p.x, std::round(p.x), f == &box ? 0.5 : 1e-3);
      got.insert(std::make_pair((int)std::lround(p.x) - 1, (int)std::lround(p.y)));
    }
    const std::set<std::pair<int, int>> want(at.begin(), at.end());
    EXPECT_EQ(got, want);
  }
  const CoordinateIndex index = read_autopick_index((d / "out" / "autopick.star").string());
  ASSERT_EQ(index.size(), 3u);
  EXPECT_EQ(index[1].first, "mics/m1.png");
  EXPECT_EQ(index[1].second, "out/m1_autopick.star");

  // The second run does nothing but the corrupt file, and fails again on it.
  s = run_pick(m, o, nullptr);
  EXPECT_EQ(s.already_done, 3);
  EXPECT_EQ(s.picked, 0);
  EXPECT_EQ(s.failures.size(), 1u);
  // A micrograph whose STAR is missing (the run stopped before it) is picked again.
  fs::remove(out.star);
  s = run_pick(m, o, nullptr);
  EXPECT_EQ(s.picked, 1);
  EXPECT_EQ(s.index_entries, 3);
  for (const auto& e : fs::directory_iterator(d / "out"))
    EXPECT_EQ(e.path().string().find(".yp-tmp."), std::string::npos) << e.path();
  fs::remove_all(d);
}

// --png-size: a 600 x 400 micrograph drawn at 300 x 200; a 100-px box centred on pixel (299.5, 199.5) has its
// left edge at micrograph edge coordinate 250, picture edge 125, so its outline shows at column 124-125 of row
// 100 and not at column 60, at the centre or where the unscaled box would be.
TEST(PickOutputs, ShrunkPictureDrawsBoxesAtItsScale) {
  const fs::path d = fresh_dir("png");
  const imgproc::Image mic(600, 400, 0.f);
  const PickPicture pic = make_pick_picture(mic, 300);
  ASSERT_EQ(pic.width, 300);
  ASSERT_EQ(pic.height, 200);
  MicrographPicks picks;
  picks.micrograph = "m.mrc";
  picks.width = 600;
  picks.height = 400;
  picks.picks = {Pick{299.5, 199.5, 100, 100, 0, 0.9}};
  const MicrographOutputs out = outputs_for(d.string(), "m.mrc");
  write_micrograph_outputs(out, picks, 0.25, {"top"}, pic);
  const imgproc::Image png = imgproc::read_image(out.png).image;
  ASSERT_EQ(png.width, 300);
  ASSERT_EQ(png.height, 200);
  const float background = png.at(60, 100);  // a constant micrograph is drawn mid-grey
  EXPECT_TRUE(png.at(124, 100) != background || png.at(125, 100) != background);
  EXPECT_EQ(png.at(150, 100), background);
  EXPECT_EQ(png.at(249, 199), background);  // where the unscaled box's edge would be
  EXPECT_EQ(make_pick_picture(mic, 0).width, 600);  // 0: full size
  fs::remove_all(d);
}

// Readable at 100 %: box outlines at least 2 px wide, a dark legend panel in the corner with white text (the class
// names, their counts and the threshold).
TEST(PickOutputs, PictureIsReadable) {
  const fs::path d = fresh_dir("readable");
  const imgproc::Image mic(1024, 1024, 0.f);
  const PickPicture pic = make_pick_picture(mic, 1024);
  MicrographPicks picks;
  picks.micrograph = "m.mrc";
  picks.width = picks.height = 1024;
  picks.picks = {Pick{511.5, 511.5, 200, 200, 1, 0.9}};
  const MicrographOutputs out = outputs_for(d.string(), "m.mrc");
  write_micrograph_outputs(out, picks, 0.25, {"top", "side"}, pic);
  const imgproc::LoadedImage png = imgproc::read_image(out.png, {{}, true});
  ASSERT_EQ(png.rgb.size(), 1024u * 1024u * 3u);
  const auto red = [&](int x, int y) { return png.rgb[3 * ((size_t)y * 1024 + x)]; };
  const auto grey = [&](int x, int y) { return png.rgb[3 * ((size_t)y * 1024 + x) + 1]; };
  const float background = png.image.at(700, 700);
  int outline = 0;  // the box's left edge is at picture edge 412: count the drawn columns of row 600 around it
  for (int x = 405; x < 420; ++x) outline += png.image.at(x, 600) != background;
  EXPECT_GE(outline, 2);
  EXPECT_LT(grey(2, 2), 40);  // the legend panel
  int white = 0;
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 200; ++x) white += red(x, y) == 255 && grey(x, y) == 255;
  EXPECT_GT(white, 100);  // its text
  fs::remove_all(d);
}

TEST(PickRun, ShardedTasksTogetherPickEverything) {
  const fs::path d = fresh_dir("shards");
  fs::create_directories(d / "mics");
  for (int i = 0; i < 5; ++i) {
    imgproc::Image img(128, 96, 0.f);
    img.at(20 + i, 30) = 1.f;
    imgproc::write_png((d / "mics" / ("s" + std::to_string(i) + ".png")).string(), img);
  }
  PickRunOptions o;
  o.inputs = expand_micrograph_inputs({(d / "mics").string()});
  o.out_dir = (d / "out").string();
  o.project_dir = d.string();
  o.progress = false;
  o.write_png = false;
  o.shard_count = 2;
  const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(1, 16), 1, 128);
  int picked = 0;
  for (int i = 0; i < 2; ++i) {
    o.shard_index = i;
    picked += run_pick(m, o, nullptr).picked;
  }
  EXPECT_EQ(picked, 5);
  EXPECT_EQ(read_autopick_index((d / "out" / "autopick.star").string()).size(), 5u);
  fs::remove_all(d);
}

#ifdef YOLOPICK_EXE
using test::run_command;

TEST(PickCommand, EndToEndWithAnImportedYolov5n) {
  YP_REQUIRE_SHARED(weights, "weights/yolov5n.pt");
  const fs::path d = fresh_dir("cli");
  const std::string exe = YOLOPICK_EXE;
  const std::string model = (d / "m.safetensors").string();
  ASSERT_EQ(run_command(exe + " import " + weights + " -o " + model + " --gray --nc 2 --names top,side --input-size 256"), 0);
  ASSERT_EQ(run_command(exe + " simulate --n 2 --size 512 --format png -o " + (d / "sim").string()), 0);
  const std::string pick = exe + " pick --model " + model + " --quiet --conf 0.001 --floor 0.001 -o " +
                           (d / "out").string() + " --project " + d.string() + " --input ";
  EXPECT_EQ(run_command(pick + (d / "sim" / "*.png").string()), 0);
  for (const char* n : {"sim_00000_autopick.star", "sim_00001.cbox", "sim_00001.box", "sim_00000.csv", "sim_00000.txt",
                        "sim_00001.png", "autopick.star"})
    EXPECT_TRUE(fs::exists(d / "out" / n)) << n;
  EXPECT_EQ(read_autopick_index((d / "out" / "autopick.star").string()).size(), 2u);
  EXPECT_NO_THROW(read_cbox((d / "out" / "sim_00000.cbox").string()));
  // A corrupt micrograph among good ones: reported, the rest done, exit code 1.
  std::ofstream(d / "sim" / "zz_bad.png") << "not a png";
  EXPECT_EQ(run_command(pick + (d / "sim").string() + " --tile --overlap 64"), 1);
  // A model that does not have the classes asked for is refused before any work.
  EXPECT_EQ(run_command(pick + (d / "sim").string() + " --classes particle -o " + (d / "out2").string()), 1);
  EXPECT_FALSE(fs::exists(d / "out2"));
  fs::remove_all(d);
}
#endif

}  // namespace
}  // namespace yp::picker
