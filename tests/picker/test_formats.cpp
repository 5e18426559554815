// Round trips of every pick format (centre/corner and y-axis conventions) and clear errors on malformed files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "picker/formats_text.h"
#include "picker/pick_io.h"
#include "util/error.h"
#include "util/text.h"

namespace fs = std::filesystem;
using namespace yp::picker;

namespace {

std::string temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("yp_picker_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

MicrographPicks sample(int n, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(0, 1);
  MicrographPicks m;
  m.micrograph = "mic";
  m.width = 2048;
  m.height = 1536;
  for (int i = 0; i < n; ++i) {
    Pick p;
    p.w = 100 + 100 * u(g);
    p.h = 100 + 100 * u(g);
    p.x = p.w / 2 + u(g) * (m.width - p.w);
    p.y = p.h / 2 + u(g) * (m.height - p.h);
    p.cls = i % 2;
    p.confidence = u(g);
    m.picks.push_back(p);
  }
  return m;
}

// Returns the message of the yp::Error thrown by f, or "" if none.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const yp::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PickFormats, StarRoundTripKeepsCentresClassAndScore) {
  const std::string path = temp_dir() + "/mic_autopick.star";
  const MicrographPicks m = sample(20, 1);
  write_star_coordinates(path, m);
  const MicrographPicks r = read_star_coordinates(path, 150);
  ASSERT_EQ(r.picks.size(), m.picks.size());
  EXPECT_EQ(r.micrograph, "mic");
  for (size_t i = 0; i < m.picks.size(); ++i) {
    EXPECT_NEAR(r.picks[i].x, m.picks[i].x, 1e-6);
    EXPECT_NEAR(r.picks[i].y, m.picks[i].y, 1e-6);  // MRC rows, no flip
    EXPECT_EQ(r.picks[i].cls, m.picks[i].cls);
    EXPECT_NEAR(r.picks[i].confidence, m.picks[i].confidence, 1e-6);
    EXPECT_EQ(r.picks[i].w, 150);
  }
}

// RELION numbers classes from 1 (its own pickers write 1 for "the class" and 0 or -999 for unclassified): our
// class 0 (top) is written 1, class 1 (side) 2, and a foreign 0 or -999 reads as class 0.
TEST(PickFormats, StarClassNumbersCountFromOneAsRelionDoes) {
  const std::string path = temp_dir() + "/classes_autopick.star";
  MicrographPicks m;
  m.picks = {Pick{10, 20, 0, 0, 0, 0.9}, Pick{30, 40, 0, 0, 1, 0.8}};
  write_star_coordinates(path, m);
  const std::string text = yp::read_text_file(path);
  EXPECT_NE(text.find("10.000000 20.000000 1 0.900000"), std::string::npos) << text;
  EXPECT_NE(text.find("30.000000 40.000000 2 0.800000"), std::string::npos) << text;
  write(path, "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnClassNumber\n1 2 0\n3 4 -999\n5 6 2\n");
  const MicrographPicks r = read_star_coordinates(path, 10);
  ASSERT_EQ(r.picks.size(), 3u);
  EXPECT_EQ(r.picks[0].cls, 0);
  EXPECT_EQ(r.picks[1].cls, 0);
  EXPECT_EQ(r.picks[2].cls, 1);
}

// The combined particles file for cryoSPARC: one data_particles table whose rows carry the micrograph name, as
// the starfile package (and cryoSPARC's importer) reads a RELION 3.0-style particles STAR.
TEST(PickFormats, CombinedParticlesStarHasOneRowPerPickWithItsMicrograph) {
  const std::string path = temp_dir() + "/particles.star";
  MicrographPicks a = sample(3, 1), b = sample(2, 2), empty;
  a.micrograph = "Micrographs/a.mrc";
  b.micrograph = "Micrographs/b.mrc";
  empty.micrograph = "Micrographs/c.mrc";
  write_star_particles(path, {a, empty, b});
  const std::string text = yp::read_text_file(path);
  EXPECT_NE(text.find("data_particles\n\nloop_\n_rlnMicrographName #1\n_rlnCoordinateX #2\n_rlnCoordinateY #3\n"
                      "_rlnClassNumber #4\n_rlnAutopickFigureOfMerit #5\n"),
            std::string::npos)
      << text;
  const std::vector<MicrographPicks> r = read_star_particles(path, 100);
  ASSERT_EQ(r.size(), 2u);  // a micrograph without picks has no rows
  EXPECT_EQ(r[0].micrograph, "Micrographs/a.mrc");
  EXPECT_EQ(r[1].micrograph, "Micrographs/b.mrc");
  ASSERT_EQ(r[0].picks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(r[0].picks[i].x, a.picks[i].x, 1e-6);
    EXPECT_NEAR(r[0].picks[i].y, a.picks[i].y, 1e-6);
    EXPECT_EQ(r[0].picks[i].cls, a.picks[i].cls);
    EXPECT_NEAR(r[0].picks[i].confidence, a.picks[i].confidence, 1e-6);
  }
  MicrographPicks spaced = a;
  spaced.micrograph = "My Micrographs/a.mrc";
  EXPECT_NE(error_of([&] { write_star_particles(path, {spaced}); }).find("spaces"), std::string::npos);
}

TEST(PickFormats, StarReaderAcceptsRelionVariants) {
  // No column-number comments, extra columns in another order, version line, a second table after.
  const std::string path = temp_dir() + "/variant.star";
  write(path, "# version 50001\n\ndata_\n\nloop_\n_rlnAnglePsi\n_rlnCoordinateY\n_rlnCoordinateX\n 0.0 20 10\n 0.0 40.5 30.5\n\n");
  const MicrographPicks r = read_star_coordinates(path, 64);
  ASSERT_EQ(r.picks.size(), 2u);
  EXPECT_EQ(r.picks[1].x, 30.5);
  EXPECT_EQ(r.picks[1].y, 40.5);
  EXPECT_EQ(r.picks[0].confidence, 1.0);
}

TEST(PickFormats, AutopickIndexRoundTripAndRelativePaths) {
  const std::string path = temp_dir() + "/autopick.star";
  const CoordinateIndex idx = {{"MotionCorr/job002/mic1.mrc", "AutoPick/job007/mic1_autopick.star"},
                               {"MotionCorr/job002/mic2.mrc", "AutoPick/job007/mic2_autopick.star"}};
  write_autopick_index(path, idx);
  EXPECT_EQ(read_autopick_index(path), idx);
  EXPECT_NE(error_of([&] { write_autopick_index(path, {{"/abs/mic.mrc", "a.star"}}); }).find("relative"), std::string::npos);
}

TEST(PickFormats, EmanBoxStoresLowerLeftCorner) {
  const std::string path = temp_dir() + "/corner.box";
  MicrographPicks m;
  m.picks.push_back({500, 300, 160, 180, 1, 0.7});
  write_eman_box(path, m);
  // corner = centre - size/2, no y flip
  EXPECT_EQ(yp::read_text_file(path), "420\t210\t160\t180\n");
  const MicrographPicks r = read_eman_box(path);
  EXPECT_EQ(r.picks[0].x, 500);
  EXPECT_EQ(r.picks[0].y, 300);
}

TEST(PickFormats, EmanBoxRoundTripWithinHalfPixelOrExact) {
  const std::string path = temp_dir() + "/rt.box";
  const MicrographPicks m = sample(30, 2);
  write_eman_box(path, m, true);
  MicrographPicks r = read_eman_box(path);
  ASSERT_EQ(r.picks.size(), m.picks.size());
  for (size_t i = 0; i < m.picks.size(); ++i) {
    EXPECT_LE(std::fabs(r.picks[i].x - m.picks[i].x), 1.0);  // corner and size each rounded by <= 0.5
    EXPECT_LE(std::fabs(r.picks[i].y - m.picks[i].y), 1.0);
  }
  write_eman_box(path, m, false);
  r = read_eman_box(path);
  for (size_t i = 0; i < m.picks.size(); ++i) {
    EXPECT_NEAR(r.picks[i].x, m.picks[i].x, 0.011);
    EXPECT_NEAR(r.picks[i].h, m.picks[i].h, 0.006);
  }
}

TEST(PickFormats, CboxKeepsEveryPickWithConfidenceAndClass) {
  const std::string path = temp_dir() + "/mic.cbox";
  MicrographPicks m = sample(25, 3);
  m.picks[0].confidence = 0.001;  // far below any threshold: must survive
  write_cbox(path, m);
  const MicrographPicks r = read_cbox(path);
  ASSERT_EQ(r.picks.size(), m.picks.size());
  for (size_t i = 0; i < m.picks.size(); ++i) {
    EXPECT_NEAR(r.picks[i].x, m.picks[i].x, 1e-3);
    EXPECT_NEAR(r.picks[i].y, m.picks[i].y, 1e-3);
    EXPECT_NEAR(r.picks[i].w, m.picks[i].w, 1e-3);
    EXPECT_NEAR(r.picks[i].confidence, m.picks[i].confidence, 1e-6);
    EXPECT_EQ(r.picks[i].cls, m.picks[i].cls);
  }
  // _CoordinateX is the corner
  const auto tables = parse_star_tables(yp::read_text_file(path), path);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].block, "cryolo");
  EXPECT_NEAR(std::stod(tables[0].rows[0][0]), m.picks[0].x - m.picks[0].w / 2, 1e-3);
}

TEST(PickFormats, LegacyCboxIsRead) {
  const std::string path = temp_dir() + "/legacy.cbox";
  write(path, "100\t200\t50\t60\t0.8\t48\t58\n");
  const MicrographPicks r = read_cbox(path);
  ASSERT_EQ(r.picks.size(), 1u);
  EXPECT_EQ(r.picks[0].x, 125);
  EXPECT_EQ(r.picks[0].y, 230);
  EXPECT_EQ(r.picks[0].confidence, 0.8);
}

TEST(PickFormats, CsvRoundTripAndColumnsByName) {
  const std::string path = temp_dir() + "/mic.csv";
  const MicrographPicks m = sample(15, 4);
  write_picks_csv(path, m);
  const MicrographPicks r = read_picks_csv(path);
  ASSERT_EQ(r.picks.size(), m.picks.size());
  for (size_t i = 0; i < m.picks.size(); ++i) {
    EXPECT_NEAR(r.picks[i].x, m.picks[i].x, 1e-3);
    EXPECT_NEAR(r.picks[i].y, m.picks[i].y, 1e-3);
    EXPECT_EQ(r.picks[i].cls, m.picks[i].cls);
  }
  write(path, "confidence,h,w,y,x\n0.5,10,20,30,40\n");
  const MicrographPicks s = read_picks_csv(path);
  EXPECT_EQ(s.picks[0].x, 40);
  EXPECT_EQ(s.picks[0].w, 20);
}

TEST(PickFormats, YoloTxtNormalisationAndYFlip) {
  const std::string path = temp_dir() + "/mic.txt";
  MicrographPicks m;
  m.width = 200;
  m.height = 100;
  m.picks.push_back({49.5, 9.5, 20, 10, 1, 0.9});  // pixel-index centre 49.5 -> continuous 50 -> 0.25
  write_yolo_txt(path, m);
  EXPECT_EQ(yp::read_text_file(path), "1 0.250000 0.100000 0.100000 0.100000 0.900000\n");
  m.image_rows = ImageRows::FlippedY;  // image row = 99 - 9.5 = 89.5 -> 0.9
  write_yolo_txt(path, m, false);
  EXPECT_EQ(yp::read_text_file(path), "1 0.250000 0.900000 0.100000 0.100000\n");
  const MicrographPicks r = read_yolo_txt(path, 200, 100, ImageRows::FlippedY);
  EXPECT_NEAR(r.picks[0].y, 9.5, 1e-9);
  EXPECT_EQ(r.picks[0].confidence, 1.0);
}

TEST(PickFormats, YoloTxtRoundTrip) {
  const std::string path = temp_dir() + "/rt.txt";
  for (ImageRows rows : {ImageRows::SameAsMrc, ImageRows::FlippedY}) {
    MicrographPicks m = sample(20, 5);
    m.image_rows = rows;
    write_yolo_txt(path, m);
    const MicrographPicks r = read_yolo_txt(path, m.width, m.height, rows);
    ASSERT_EQ(r.picks.size(), m.picks.size());
    for (size_t i = 0; i < m.picks.size(); ++i) {
      EXPECT_NEAR(r.picks[i].x, m.picks[i].x, 2e-3);  // 6 decimals of 2048
      EXPECT_NEAR(r.picks[i].y, m.picks[i].y, 2e-3);
      EXPECT_NEAR(r.picks[i].h, m.picks[i].h, 2e-3);
    }
  }
}

TEST(PickFormats, MalformedFilesNameFileAndLine) {
  const std::string d = temp_dir();
  write(d + "/bad.star", "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n1 2\n3 abc\n");
  EXPECT_NE(error_of([&] { read_star_coordinates(d + "/bad.star", 10); }).find("bad.star:6: bad _rlnCoordinateY 'abc'"), std::string::npos);
  write(d + "/cols.star", "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n1 2\n3\n");
  EXPECT_NE(error_of([&] { read_star_coordinates(d + "/cols.star", 10); }).find("cols.star:6: expected 2 columns, found 1"), std::string::npos);
  write(d + "/nocoord.star", "data_\nloop_\n_rlnAnglePsi\n1\n");
  EXPECT_NE(error_of([&] { read_star_coordinates(d + "/nocoord.star", 10); }).find("_rlnCoordinateX"), std::string::npos);
  write(d + "/bad.box", "1 2 3 4\n5 6 7\n");
  EXPECT_NE(error_of([&] { read_eman_box(d + "/bad.box"); }).find("bad.box:2: expected 'x y w h'"), std::string::npos);
  write(d + "/nan.box", "1 2 3 nan\n");
  EXPECT_NE(error_of([&] { read_eman_box(d + "/nan.box"); }).find("nan.box:1: bad box height"), std::string::npos);
  write(d + "/bad.csv", "x,y,w,h\n1,2,3,4\n1,2,3\n");
  EXPECT_NE(error_of([&] { read_picks_csv(d + "/bad.csv"); }).find("bad.csv:3: expected 4 columns"), std::string::npos);
  write(d + "/noh.csv", "x,y,w\n1,2,3\n");
  EXPECT_NE(error_of([&] { read_picks_csv(d + "/noh.csv"); }).find("no 'h' column"), std::string::npos);
  write(d + "/bad.txt", "0 0.5 0.5 0.1 0.1\n0 1.5 0.5 0.1 0.1\n");
  EXPECT_NE(error_of([&] { read_yolo_txt(d + "/bad.txt", 100, 100); }).find("bad.txt:2: normalised value outside"), std::string::npos);
  write(d + "/cls.txt", "x 0.5 0.5 0.1 0.1\n");
  EXPECT_NE(error_of([&] { read_yolo_txt(d + "/cls.txt", 100, 100); }).find("cls.txt:1: bad class 'x'"), std::string::npos);
  EXPECT_NE(error_of([&] { read_eman_box(d + "/missing.box"); }).find("missing.box: cannot open"), std::string::npos);
}

TEST(PickFormats, FolderPairsByMicrographAndPrefersCbox) {
  const std::string d = temp_dir() + "/folder";
  fs::create_directories(d);
  MicrographPicks m = sample(5, 6);
  write_star_coordinates(d + "/a_autopick.star", m);
  m.picks.push_back(m.picks[0]);
  write_cbox(d + "/a.cbox", m);  // 6 picks: the cbox must win
  write_eman_box(d + "/b.box", m);
  write_autopick_index(d + "/autopick.star", {{"a.mrc", "a_autopick.star"}});
  const auto all = read_pick_folder(d, ReadOptions{});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("a").picks.size(), 6u);
  EXPECT_EQ(all.at("b").picks.size(), 6u);
  ReadOptions only_star;
  only_star.only_ext = ".star";
  EXPECT_EQ(read_pick_folder(d, only_star).at("a").picks.size(), 5u);
}

TEST(PickFormats, MarkedPositionsKeepNotesAndRoundTrip) {
  const std::string d = temp_dir();
  // The real labels' form: integers, a note with spaces and punctuation, a blank line.
  write(d + "/m.excluded.txt", "1509 195 side view overlapped by debris blob(also elongated)\n\n660 1380 tube(>2x)\n7.5 8\n");
  const std::vector<MarkedPosition> m = read_marked_positions(d + "/m.excluded.txt");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].x, 1509);
  EXPECT_EQ(m[0].y, 195);
  EXPECT_EQ(m[0].note, "side view overlapped by debris blob(also elongated)");
  EXPECT_EQ(m[1].note, "tube(>2x)");
  EXPECT_EQ(m[2].x, 7.5);
  EXPECT_EQ(m[2].note, "");
  write_marked_positions(d + "/back.excluded.txt", {m[0], m[1]});
  const std::vector<MarkedPosition> back = read_marked_positions(d + "/back.excluded.txt");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].note, m[0].note);
  EXPECT_EQ(back[1].y, 1380);
  write(d + "/bad.uncertain.txt", "10 20 fine\n30\n");
  try {
    read_marked_positions(d + "/bad.uncertain.txt");
    FAIL() << "expected an error";
  } catch (const yp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.uncertain.txt:2:"), std::string::npos) << e.what();
  }
}

TEST(PickFormats, FolderSkipsMarkedPositionsAndReadme) {
  // A real labels folder: NAME.txt beside NAME.excluded.txt, NAME.uncertain.txt and README.txt.
  const std::string d = temp_dir() + "/labels";
  fs::create_directories(d);
  MicrographPicks m = sample(3, 7);
  write_yolo_txt(d + "/KLH_002.txt", m, false);
  write(d + "/KLH_002.excluded.txt", "10 20 tube\n");
  write(d + "/KLH_002.uncertain.txt", "30 40 faint\n");
  write(d + "/README.txt", "Real KLH particle labels\n");
  ReadOptions opt;
  opt.width = m.width;
  opt.height = m.height;
  opt.only_ext = ".txt";
  const auto all = read_pick_folder(d, opt);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.at("KLH_002").picks.size(), 3u);
}

// What used to mislead: a UTF-8 BOM ("data line outside a loop_" / an invisible character), a trailing
// "# comment" on a STAR row, two coordinate tables of which the first was silently used, "-0" in .box files.
TEST(PickFormats, ByteOrderMarksCommentsTwoTablesAndNegativeZero) {
  const std::string d = temp_dir();
  const std::string bom = "\xEF\xBB\xBF";
  write(d + "/bom.star", bom + "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n10 20 # the first\n30 40\n");
  const MicrographPicks star = read_star_coordinates(d + "/bom.star", 10);
  ASSERT_EQ(star.picks.size(), 2u);
  EXPECT_EQ(star.picks[0].x, 10);
  write(d + "/bom.txt", bom + "0 0.5 0.5 0.1 0.1\n");
  EXPECT_EQ(read_yolo_txt(d + "/bom.txt", 100, 100).picks.size(), 1u);
  write(d + "/bom.csv", bom + "x,y,w,h\n1,2,3,4\n");
  EXPECT_EQ(read_picks_csv(d + "/bom.csv").picks.size(), 1u);
  write(d + "/two.star", "data_a\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n1 2\n\n"
                         "data_b\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n3 4\n");
  EXPECT_NE(error_of([&] { read_star_coordinates(d + "/two.star", 10); }).find("2 tables hold coordinates (data_a, data_b)"),
            std::string::npos);
  MicrographPicks m;
  m.picks.push_back({7.8, 7.9, 16, 16, 0, 1});  // corners -0.2, -0.1 round to zero
  write_eman_box(d + "/zero.box", m);
  EXPECT_EQ(yp::read_text_file(d + "/zero.box"), "0\t0\t16\t16\n");
}
