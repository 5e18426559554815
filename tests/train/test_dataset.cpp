// data.yaml, label files and the coordinate importers; the mask -> centres check on the real EMPIAR-10017 mask.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "imgproc/image_io.h"
#include "picker/evaluate.h"
#include "picker/pick_io.h"
#include "tests/support/shared_data.h"
#include "train/dataset.h"
#include "train/import_labels.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace yp::train;

namespace {
fs::path temp_dir(const std::string& name) { return yp::test::fresh_temp_dir("train_" + name); }
void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}
using yp::test::error_of;
}  // namespace

TEST(Dataset, ReadsYamlWithFlowAndBlockForms) {
  const fs::path d = temp_dir("yaml");
  write(d / "images/train/a.png", "x");
  write(d / "images/val/b.png", "x");
  write(d / "data.yaml", "# comment\npath: " + d.string() + "\ntrain: images/train  # folder\nval:\n  - images/val\nnames:\n  0: particle\n  1: 'ice # not a comment'\n");
  const DatasetSpec s = read_dataset_yaml((d / "data.yaml").string());
  EXPECT_EQ(s.nc, 2);
  ASSERT_EQ(s.names.size(), 2u);
  EXPECT_EQ(s.names[1], "ice # not a comment");
  EXPECT_EQ(s.train, std::vector<std::string>{"images/train"});
  EXPECT_EQ(s.val, std::vector<std::string>{"images/val"});
  const auto imgs = list_images(s.train, s.root);
  ASSERT_EQ(imgs.size(), 1u);
  EXPECT_EQ(label_path_for(imgs[0]), (d / "labels/train/a.txt").string());

  write(d / "d2.yaml", "train: [images/train, images/val]\nval: images/val\nnc: 1\nnames: ['p']\n");
  const DatasetSpec s2 = read_dataset_yaml((d / "d2.yaml").string());
  EXPECT_EQ(s2.root, d.string());
  EXPECT_EQ(list_images(s2.train, s2.root).size(), 2u);
  // round trip through the writer
  write_dataset_yaml((d / "d3.yaml").string(), s2);
  const DatasetSpec s3 = read_dataset_yaml((d / "d3.yaml").string());
  EXPECT_EQ(s3.train, s2.train);
  EXPECT_EQ(s3.names, s2.names);
  fs::remove_all(d);
}

TEST(Dataset, YamlErrorsNameFileAndLine) {
  const fs::path d = temp_dir("yamlerr");
  write(d / "bad.yaml", "train: a\nval: b\nnc: 2\nnames: [x]\n");
  EXPECT_NE(error_of([&] { read_dataset_yaml((d / "bad.yaml").string()); }).find("bad.yaml:3: nc = 2 but 1 names"), std::string::npos);
  write(d / "bad2.yaml", "train: a\nval b\n");
  EXPECT_NE(error_of([&] { read_dataset_yaml((d / "bad2.yaml").string()); }).find("bad2.yaml:2:"), std::string::npos);
  write(d / "bad3.yaml", "val: b\nnc: 1\n");
  EXPECT_NE(error_of([&] { read_dataset_yaml((d / "bad3.yaml").string()); }).find("no 'train'"), std::string::npos);
  fs::remove_all(d);
}

TEST(Dataset, LabelFilesAreCheckedLineByLine) {
  const fs::path d = temp_dir("labels");
  write(d / "ok.txt", "0 0.5 0.5 0.1 0.2\n\n1 0.25 0.75 0.05 0.05\n0 0.5 0.5 0.1 0.2\n");
  const auto l = read_yolo_labels((d / "ok.txt").string(), 2);
  ASSERT_EQ(l.size(), 2u);  // the duplicate is dropped
  EXPECT_EQ(l[1].cls, 1);
  EXPECT_DOUBLE_EQ(l[1].cy, 0.75);
  EXPECT_TRUE(read_yolo_labels((d / "missing.txt").string(), 2).empty());
  const std::pair<std::string, std::string> cases[] = {
      {"0 0.5 0.5 0.1\n", "bad.txt:1: expected 5 columns"},
      {"0 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n", "bad.txt:2: class '2' outside 0..1"},
      {"0 0.5 1.5 0.1 0.1\n", "bad.txt:1: coordinate '1.5' is not normalised"},
      {"0 0.5 abc 0.1 0.1\n", "bad.txt:1: not a number: 'abc'"},
      {"0.5 0.5 0.5 0.1 0.1\n", "bad.txt:1: class '0.5'"},
  };
  for (const auto& [text, msg] : cases) {
    write(d / "bad.txt", text);
    const std::string e = error_of([&] { read_yolo_labels((d / "bad.txt").string(), 2); });
    EXPECT_NE(e.find(msg), std::string::npos) << e;
  }
  write_yolo_labels((d / "out/w.txt").string(), l);
  const auto back = read_yolo_labels((d / "out/w.txt").string(), 2);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_NEAR(back[0].w, 0.1, 1e-6);
  fs::remove_all(d);
}

TEST(Import, StarBoxAndCsvGiveTheSameLabels) {
  // One particle centred at pixel (100, 50) of a 200 x 100 image, box 20: edges 90.5..110.5 -> cx = 100.5/200.
  const fs::path d = temp_dir("import");
  write(d / "m.star", "data_\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n100 50\n");
  write(d / "m.box", "90\t40\t20\t20\n");  // EMAN lower-left corner = centre - 10
  write(d / "m.csv", "X-Coordinate,Y-Coordinate,Diameter\n100,50,20\n");
  ImportOptions opt;
  opt.box_size = 20;
  opt.single_class = 0;
  for (const char* f : {"m.star", "m.box", "m.csv"}) {
    const auto mic = yp::picker::read_picks((d / f).string(), {});
    const auto l = picks_to_labels(mic, 200, 100, opt);
    ASSERT_EQ(l.size(), 1u) << f;
    EXPECT_NEAR(l[0].cx, 100.5 / 200, 1e-12) << f;
    EXPECT_NEAR(l[0].cy, 50.5 / 100, 1e-12) << f;
    EXPECT_NEAR(l[0].w, 0.1, 1e-12) << f;
    EXPECT_NEAR(l[0].h, 0.2, 1e-12) << f;
  }
  // Flipped rows: the image stores MRC row y at H - 1 - y.
  opt.rows = yp::picker::ImageRows::FlippedY;
  const auto flipped = picks_to_labels(yp::picker::read_picks((d / "m.star").string(), {}), 200, 100, opt);
  EXPECT_NEAR(flipped[0].cy, (99 - 50 + 0.5) / 100, 1e-12);
  // A box at the border is clipped; a centre outside the image is dropped.
  yp::picker::MicrographPicks edge;
  edge.picks = {{0, 50, 20, 20}, {-30, 50, 20, 20}};
  opt.rows = yp::picker::ImageRows::SameAsMrc;
  const auto e = picks_to_labels(edge, 200, 100, opt);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NEAR(e[0].w * 200, 10.5, 1e-9);
  // STAR without a box size and no --box: a clear error.
  ImportOptions nobox;
  nobox.single_class = 0;
  EXPECT_NE(error_of([&] { picks_to_labels(yp::picker::read_picks((d / "m.star").string(), {}), 200, 100, nobox); })
                .find("no box size"),
            std::string::npos);
  write(d / "bad.csv", "a,b\n1,2\n");
  EXPECT_NE(error_of([&] { yp::picker::read_picks((d / "bad.csv").string(), {}); }).find("bad.csv:1:"), std::string::npos);
  fs::remove_all(d);
}

TEST(Import, MaskCentresOfTheRealMaskMatchItsCsv) {
  YP_REQUIRE_SHARED(mask_path, "data/empiar10017_bgal_cryosegnet/masks/Falcon_2012_06_12-14_33_35_0_mask.jpg");
  const std::string csv = yp::test::shared_path("data/empiar10017_bgal_cryosegnet/csv_files/Falcon_2012_06_12-14_33_35_0.csv");
  const auto found = mask_to_picks(yp::imgproc::read_image(mask_path).image, MaskCentreParams{}, 108);
  const auto truth = yp::picker::read_picks(csv, {});
  EXPECT_EQ(truth.picks.size(), 629u);
  yp::picker::MicrographPair pair{"14_33_35", truth.picks, found.picks};
  const auto rep = yp::picker::evaluate_picks({pair}, yp::picker::parse_match_rule("dist:10"), 0.0);
  // SOURCES.txt: 639 found vs 629 true, recall 98.7 %, precision 97.2 % at 10 px.
  EXPECT_NEAR(rep.overall.recall, 0.987, 0.005);
  EXPECT_NEAR(rep.overall.precision, 0.972, 0.005);
  std::printf("mask centres: %zu found, %zu true, recall %.4f precision %.4f\n", found.picks.size(), truth.picks.size(),
              rep.overall.recall, rep.overall.precision);
}

// Files saved by Windows editors start with a UTF-8 byte order mark: data.yaml used to fail on an invisible
// character, a label file on a bad class.
TEST(Dataset, ByteOrderMarksAreNotPartOfTheText) {
  const fs::path d = temp_dir("bom");
  const std::string bom = "\xEF\xBB\xBF";
  write(d / "images/train/a.png", "x");
  write(d / "data.yaml", bom + "train: images/train\nval: images/train\nnc: 1\nnames: ['p']\n");
  EXPECT_EQ(read_dataset_yaml((d / "data.yaml").string()).train, std::vector<std::string>{"images/train"});
  write(d / "labels/train/a.txt", bom + "0 0.5 0.5 0.1 0.2\n");
  EXPECT_EQ(read_yolo_labels((d / "labels/train/a.txt").string(), 1).size(), 1u);
  write(d / "list.txt", bom + "images/train/a.png\n");
  EXPECT_EQ(list_images({"list.txt"}, d.string()).size(), 1u);
  fs::remove_all(d);
}
