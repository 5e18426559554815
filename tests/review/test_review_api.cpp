// test_review_api.cpp: the review server's HTTP API on an ephemeral port - list, tiles, boxes, save, the
// round trip into `train`'s label reader, export, pick, concurrent saves (review/server.h).
#include <cmath>
#include <fstream>
#include <set>

#include "picker/formats_box.h"
#include "picker/formats_star.h"
#include "review/requests.h"
#include "review_fixture.h"
#include "tests/support/shared_data.h"
#include "train/dataset.h"
#include "yolo/io/json.h"

namespace yp::test {
namespace {

io::Json json_of(const httplib::Result& r) {
  EXPECT_TRUE(r) << "no answer";
  return io::parse_json(r->body.data(), r->body.size(), "answer");
}

std::string box_json(double x, double y, double w, double h, int cls, double conf) {
  char buf[200];
  std::snprintf(buf, sizeof buf, R"({"x":%.17g,"y":%.17g,"w":%.17g,"h":%.17g,"class":%d,"confidence":%.17g})", x, y, w,
                h, cls, conf);
  return buf;
}

std::string save_body(const std::vector<picker::Pick>& boxes, double threshold, bool label) {
  std::string s = "{\"boxes\":[";
  for (size_t i = 0; i < boxes.size(); ++i)
    s += (i ? "," : "") + box_json(boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h, boxes[i].cls, boxes[i].confidence);
  return s + "],\"threshold\":" + std::to_string(threshold) + ",\"label\":" + (label ? "true" : "false") + "}";
}

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& body) {
  return c.Post(path.c_str(), body, "application/json");
}

std::vector<picker::Pick> boxes_of(const io::Json& answer) {
  std::vector<picker::Pick> out;
  for (const io::Json& b : answer.find("boxes")->array) {
    picker::Pick p;
    p.x = b.find("x")->as_double();
    p.y = b.find("y")->as_double();
    p.w = b.find("w")->as_double();
    p.h = b.find("h")->as_double();
    p.cls = static_cast<int>(b.find("class")->as_int());
    p.confidence = b.find("confidence")->as_double();
    out.push_back(p);
  }
  return out;
}

bool no_temporary_files(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".yp-tmp.") != std::string::npos) return false;  // util/atomic_file.h
  return true;
}

class ReviewApi : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fresh_folder("api");
    truth = write_review_data(dir);
    review = std::make_unique<RunningReview>(review_options(dir));
  }
  void TearDown() override {
    review.reset();
    fs::remove_all(dir);
  }
  fs::path dir;
  picker::MicrographPicks truth;
  std::unique_ptr<RunningReview> review;
};

TEST_F(ReviewApi, SessionNamesTheClassesFoldersAndThreshold) {
  auto c = review->client();
  const io::Json s = json_of(c.Get("/api/session"));
  ASSERT_EQ(s.find("classes")->array.size(), 2u);
  EXPECT_EQ(s.find("classes")->array[1].find("name")->text, "side");
  EXPECT_EQ(s.find("classes")->array[0].find("colour")->text.size(), 7u);  // "#rrggbb"
  EXPECT_DOUBLE_EQ(s.find("threshold")->as_double(), 0.25);
  EXPECT_FALSE(s.find("can_pick")->b);
  EXPECT_FALSE(s.find("default_label")->b);  // reviewing picks: labels only when asked
  EXPECT_EQ(s.find("out_dir")->text, (dir / "out").string());
}

TEST_F(ReviewApi, ListCountsPicksPerClassAtTheThreshold) {
  auto c = review->client();
  const io::Json list = json_of(c.Get("/api/micrographs?threshold=0.5"));
  const auto& items = list.find("micrographs")->array;
  ASSERT_EQ(items.size(), 3u);  // sorted: broken, ramp, sim_00000
  EXPECT_EQ(items[0].find("name")->text, "broken");
  EXPECT_NE(items[0].find("error")->text, "");
  EXPECT_EQ(items[1].find("width")->as_int(), kRampWidth);
  EXPECT_EQ(items[1].find("source")->text, "none");
  const io::Json& sim = items[2];
  EXPECT_EQ(sim.find("status")->text, "unseen");
  EXPECT_EQ(sim.find("source")->text, "picks");
  int expected[2] = {0, 0}, below = 0;
  for (const auto& p : truth.picks) (p.confidence >= 0.5 ? expected[p.cls] : below) += 1;
  EXPECT_EQ(sim.find("counts")->array[0].as_int(), expected[0]);
  EXPECT_EQ(sim.find("counts")->array[1].as_int(), expected[1]);
  EXPECT_EQ(sim.find("below")->as_int(), below);
  EXPECT_EQ(c.Get("/api/micrographs?threshold=2")->status, 400);
  EXPECT_EQ(c.Get("/api/micrographs?threshold=abc")->status, 400);
}

TEST_F(ReviewApi, BoxesAreThePickFileInMicrographPixels) {
  auto c = review->client();
  const io::Json answer = json_of(c.Get("/api/micrographs/sim_00000/boxes"));
  EXPECT_EQ(answer.find("source")->text, "picks");
  const auto boxes = boxes_of(answer);
  ASSERT_EQ(boxes.size(), truth.picks.size());
  for (size_t i = 0; i < boxes.size(); ++i) {  // the .cbox stores corners with 3 decimals
    EXPECT_NEAR(boxes[i].x, truth.picks[i].x, 2e-3);
    EXPECT_NEAR(boxes[i].y, truth.picks[i].y, 2e-3);
    EXPECT_NEAR(boxes[i].w, truth.picks[i].w, 2e-3);
    EXPECT_EQ(boxes[i].cls, truth.picks[i].cls);
    EXPECT_NEAR(boxes[i].confidence, truth.picks[i].confidence, 1e-6);
  }
}

// The ramp's 0.5/99.5 % stretch is the identity, so the tiles must hold the PNG's bytes, row 0 first (nothing
// flipped), and level 1 the rounded means of 2 x 2 blocks, the last odd column/row averaged with itself.
TEST_F(ReviewApi, TilesHoldTheMicrographRowsAsStoredAtEveryLevel) {
  auto c = review->client();
  const io::Json view = json_of(c.Get("/api/micrographs/ramp/view/raw"));
  ASSERT_EQ(view.find("levels")->array.size(), 2u);  // 700 x 500, then 350 x 250 fits one 512 tile
  EXPECT_EQ(view.find("levels")->array[0].find("tiles_x")->as_int(), 2);
  EXPECT_EQ(view.find("levels")->array[0].find("tiles_y")->as_int(), 1);
  EXPECT_DOUBLE_EQ(view.find("scale_x")->as_double(), 1.0);

  const auto tile = c.Get("/api/micrographs/ramp/view/raw/0/1/0");
  ASSERT_EQ(tile->status, 200);
  ASSERT_EQ(tile->get_header_value("X-Tile-Width"), std::to_string(kRampWidth - 512));
  ASSERT_EQ(tile->get_header_value("X-Tile-Height"), std::to_string(kRampHeight));
  ASSERT_EQ(tile->body.size(), static_cast<size_t>(kRampWidth - 512) * kRampHeight);
  int wrong = 0;
  for (int y = 0; y < kRampHeight; ++y)
    for (int x = 512; x < kRampWidth; ++x)
      wrong += static_cast<uint8_t>(tile->body[static_cast<size_t>(y) * (kRampWidth - 512) + (x - 512)]) != ramp_value(x, y);
  EXPECT_EQ(wrong, 0);

  const auto coarse = c.Get("/api/micrographs/ramp/view/raw/1/0/0");
  ASSERT_EQ(coarse->status, 200);
  const int w1 = (kRampWidth + 1) / 2, h1 = (kRampHeight + 1) / 2;
  ASSERT_EQ(coarse->body.size(), static_cast<size_t>(w1) * h1);
  wrong = 0;
  for (int y = 0; y < h1; ++y)
    for (int x = 0; x < w1; ++x) {
      const int x1 = std::min(2 * x + 1, kRampWidth - 1), y1 = std::min(2 * y + 1, kRampHeight - 1);
      const int mean = (ramp_value(2 * x, 2 * y) + ramp_value(x1, 2 * y) + ramp_value(2 * x, y1) + ramp_value(x1, y1) + 2) / 4;
      wrong += static_cast<uint8_t>(coarse->body[static_cast<size_t>(y) * w1 + x]) != mean;
    }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(c.Get("/api/micrographs/ramp/view/raw/0/2/0")->status, 404);
  EXPECT_EQ(c.Get("/api/micrographs/ramp/view/raw/2/0/0")->status, 404);
  EXPECT_EQ(c.Get("/api/micrographs/ramp/view/raw/99999999/0/0")->status, 404);
  EXPECT_EQ(c.Get("/api/micrographs/ramp/view/sideways")->status, 404);
}

TEST_F(ReviewApi, ProcessedViewIsTheChainResizedAndSaysHowItMapsBack) {
  auto c = review->client();
  const io::Json view = json_of(c.Get("/api/micrographs/sim_00000/view/processed"));
  EXPECT_EQ(view.find("width")->as_int(), 1024);  // the study's chain resizes to 1024^2
  EXPECT_DOUBLE_EQ(view.find("scale_x")->as_double(), 1.0);
  const io::Json ramp = json_of(c.Get("/api/micrographs/ramp/view/processed"));
  EXPECT_EQ(ramp.find("width")->as_int(), 1024);
  EXPECT_DOUBLE_EQ(ramp.find("scale_x")->as_double(), 700.0 / 1024);
  EXPECT_DOUBLE_EQ(ramp.find("scale_y")->as_double(), 500.0 / 1024);
}

TEST_F(ReviewApi, AnUnreadableMicrographIsReportedNotServed) {
  auto c = review->client();
  EXPECT_EQ(c.Get("/api/micrographs/broken/boxes")->status, 422);
  EXPECT_EQ(c.Get("/api/micrographs/broken/view/raw")->status, 422);
  EXPECT_EQ(post(c, "/api/micrographs/broken/boxes", save_body({}, 0.25, true))->status, 422);
  EXPECT_EQ(c.Get("/api/session")->status, 200);
}

// Labels saved through the API are what `train` reads: its reader gives back the boxes at or above the
// threshold, centres with pixel centres at integers (cx = (x + 0.5) / W), y = row as stored.
TEST_F(ReviewApi, SavedLabelsReadByTrainGiveTheSameBoxes) {
  auto c = review->client();
  std::vector<picker::Pick> boxes = {{100.0, 200.0, 150.0, 160.0, 0, 1.0},
                                     {511.5, 80.25, 90.5, 120.0, 1, 0.8},
                                     {900.0, 900.0, 100.0, 100.0, 1, 0.1},   // under the threshold
                                     {30.0, 1000.0, 100.0, 80.0, 0, 0.9}};  // crosses two edges: clipped
  const auto r = post(c, "/api/micrographs/sim_00000/boxes", save_body(boxes, 0.3, true));
  ASSERT_EQ(r->status, 200) << r->body;
  const io::Json answer = json_of(r);
  EXPECT_EQ(answer.find("status")->text, "labelled");
  EXPECT_NE(answer.find("saved_at")->text, "");

  const auto labels = train::read_yolo_labels((dir / "labels" / "sim_00000.txt").string(), 2);
  ASSERT_EQ(labels.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(labels[i].cls, boxes[i].cls);
    EXPECT_NEAR(labels[i].cx * 1024 - 0.5, boxes[i].x, 1e-3);
    EXPECT_NEAR(labels[i].cy * 1024 - 0.5, boxes[i].y, 1e-3);
    EXPECT_NEAR(labels[i].w * 1024, boxes[i].w, 1e-3);
    EXPECT_NEAR(labels[i].h * 1024, boxes[i].h, 1e-3);
  }
  EXPECT_NEAR(labels[1].cx, 0.5, 1e-6);  // pixel 511.5 is the middle of a 1024-px row
  // Edges of the last box: x in [30.5 - 50, 30.5 + 50] -> [0, 80.5], y in [1000.5 - 40, 1000.5 + 40] -> [960.5, 1024].
  EXPECT_NEAR(labels[2].cx * 1024, 40.25, 1e-3);
  EXPECT_NEAR(labels[2].w * 1024, 80.5, 1e-3);
  EXPECT_NEAR(labels[2].cy * 1024, 992.25, 1e-3);
  EXPECT_NEAR(labels[2].h * 1024, 63.5, 1e-3);

  // The .cbox keeps every box with its confidence; STAR and .box only those >= the threshold.
  const auto cbox = picker::read_cbox((dir / "out" / "sim_00000.cbox").string());
  ASSERT_EQ(cbox.picks.size(), 4u);
  EXPECT_NEAR(cbox.picks[2].confidence, 0.1, 1e-6);
  EXPECT_NEAR(cbox.picks[3].y, 1000.0, 1e-3);  // picks keep the centre as placed, not clipped
  const auto star = picker::read_star_coordinates((dir / "out" / "sim_00000_autopick.star").string(), 100);
  ASSERT_EQ(star.picks.size(), 3u);
  EXPECT_NEAR(star.picks[1].y, 80.25, 1e-3);
  EXPECT_TRUE(fs::exists(dir / "out" / "sim_00000.box"));
  EXPECT_TRUE(fs::exists(dir / "out" / "autopick.star"));
  EXPECT_TRUE(no_temporary_files(dir));

  // Reopened, the micrograph starts from what was saved.
  const io::Json reopened = json_of(c.Get("/api/micrographs/sim_00000/boxes"));
  EXPECT_EQ(reopened.find("source")->text, "reviewed");
  EXPECT_TRUE(reopened.find("label")->b);
  const auto again = boxes_of(reopened);
  ASSERT_EQ(again.size(), 4u);
  EXPECT_NEAR(again[1].x, 511.5, 2e-3);
  EXPECT_NEAR(again[1].confidence, 0.8, 1e-6);
}

TEST_F(ReviewApi, UntickingTrainingLabelRemovesTheLabelFileOnly) {
  auto c = review->client();
  const std::vector<picker::Pick> boxes = {{300.0, 300.0, 150.0, 150.0, 0, 1.0}};
  ASSERT_EQ(post(c, "/api/micrographs/sim_00000/boxes", save_body(boxes, 0.25, true))->status, 200);
  ASSERT_TRUE(fs::exists(dir / "labels" / "sim_00000.txt"));
  const io::Json answer = json_of(post(c, "/api/micrographs/sim_00000/boxes", save_body(boxes, 0.25, false)));
  EXPECT_EQ(answer.find("status")->text, "reviewed");
  EXPECT_FALSE(fs::exists(dir / "labels" / "sim_00000.txt"));
  EXPECT_EQ(picker::read_cbox((dir / "out" / "sim_00000.cbox").string()).picks.size(), 1u);
}

TEST_F(ReviewApi, ExportRewritesReviewedPicksAtTheThresholdAndKeepsIt) {
  auto c = review->client();
  const std::vector<picker::Pick> boxes = {{100.0, 100.0, 150.0, 150.0, 0, 0.9}, {400.0, 400.0, 150.0, 150.0, 1, 0.4}};
  ASSERT_EQ(post(c, "/api/micrographs/sim_00000/boxes", save_body(boxes, 0.25, false))->status, 200);
  EXPECT_EQ(picker::read_star_coordinates((dir / "out" / "sim_00000_autopick.star").string(), 1).picks.size(), 2u);
  const io::Json answer = json_of(post(c, "/api/export", R"({"threshold": 0.5})"));
  EXPECT_EQ(answer.find("exported")->as_int(), 1);
  EXPECT_EQ(picker::read_star_coordinates((dir / "out" / "sim_00000_autopick.star").string(), 1).picks.size(), 1u);
  EXPECT_EQ(picker::read_cbox((dir / "out" / "sim_00000.cbox").string()).picks.size(), 2u);
  EXPECT_DOUBLE_EQ(json_of(c.Get("/api/session")).find("threshold")->as_double(), 0.5);
  review::Project reopened(review_options(dir));  // review.json outlives the session
  EXPECT_DOUBLE_EQ(reopened.threshold(), 0.5);
  EXPECT_EQ(post(c, "/api/export", R"({"threshold": 1.5})")->status, 422);
}

// Saves of one micrograph from many clients at once: each is whole (never a mix of two), the label file and
// the .cbox agree with one of the requests, nothing temporary is left behind.
TEST_F(ReviewApi, ConcurrentSavesNeverInterleave) {
  constexpr int kClients = 6, kSaves = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      auto c = review->client();
      for (int s = 0; s < kSaves; ++s) {
        std::vector<picker::Pick> boxes;
        for (int k = 0; k <= t; ++k) boxes.push_back({100.0 + 50 * k, 100.0 + 10 * t, 80.0, 80.0, t % 2, 1.0});
        const std::string name = s % 2 ? "sim_00000" : "ramp";
        const auto r = post(c, "/api/micrographs/" + name + "/boxes", save_body(boxes, 0.25, true));
        if (r && r->status == 200) ++ok;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kSaves);
  for (const char* name : {"sim_00000", "ramp"}) {
    const auto cbox = picker::read_cbox((dir / "out" / (std::string(name) + ".cbox")).string());
    ASSERT_GE(cbox.picks.size(), 1u);
    const int t = static_cast<int>(cbox.picks.size()) - 1;  // client t saved t + 1 boxes at y = 100 + 10 t
    for (const auto& p : cbox.picks) EXPECT_NEAR(p.y, 100.0 + 10 * t, 1e-3) << name;
    const int size = std::string(name) == "ramp" ? kRampWidth : 1024;
    const auto labels = train::read_yolo_labels((dir / "labels" / (std::string(name) + ".txt")).string(), 2);
    EXPECT_EQ(labels.size(), cbox.picks.size()) << name;
    (void)size;
  }
  EXPECT_TRUE(no_temporary_files(dir));
}

// A foreign STAR file: no box size (--box gives it), RELION's class -999 (read as class 0), a figure of merit
// that is not a probability (kept as it is, and saved back).
TEST(ReviewProject, ForeignStarPicksNeedABoxSizeAndKeepTheirFigureOfMerit) {
  const fs::path dir = fresh_folder("star");
  write_review_data(dir);
  picker::MicrographPicks star;
  star.picks = {{200.0, 150.0, 0.0, 0.0, -999, 3.5}, {400.0, 300.0, 0.0, 0.0, 0, 0.2}};
  picker::write_star_coordinates((dir / "picks" / "ramp_autopick.star").string(), star);
  {
    RunningReview review(review_options(dir));
    auto c = review.client();
    const auto r = c.Get("/api/micrographs/ramp/boxes");
    EXPECT_EQ(r->status, 422);
    EXPECT_NE(r->body.find("--box"), std::string::npos) << r->body;
  }
  review::ProjectOptions options = review_options(dir);
  options.box_size = 64;
  {
    RunningReview review(options);
    auto c = review.client();
    const auto boxes = boxes_of(json_of(c.Get("/api/micrographs/ramp/boxes")));
    ASSERT_EQ(boxes.size(), 2u);
    EXPECT_EQ(boxes[0].cls, 0);
    EXPECT_DOUBLE_EQ(boxes[0].confidence, 3.5);
    EXPECT_DOUBLE_EQ(boxes[0].w, 64);
    EXPECT_EQ(post(c, "/api/micrographs/ramp/boxes", save_body(boxes, 0.25, false))->status, 200);
    EXPECT_DOUBLE_EQ(picker::read_cbox((dir / "out" / "ramp.cbox").string()).picks[0].confidence, 3.5);
  }
  fs::remove_all(dir);
}

TEST_F(ReviewApi, PickNeedsAModel) {
  auto c = review->client();
  EXPECT_EQ(post(c, "/api/micrographs/sim_00000/pick", "{}")->status, 409);
}

// "Pick this micrograph" with the bundled KLH picker: the answer is the model's picks in micrograph pixels
// (every pick >= 0.01, as the .cbox keeps them); nothing is written until the page saves.
TEST(ReviewPick, PicksWithTheBundledModel) {
  const std::string model = source_path("models/klh_yolov5n.safetensors");
  if (!fs::exists(model)) GTEST_SKIP() << "bundled model absent: " << model;
  const fs::path dir = fresh_folder("pick");
  write_review_data(dir);
  review::ProjectOptions options = review_options(dir);
  options.model_path = model;
  options.class_names.clear();
  {
    RunningReview review(options);
    auto c = review.client();
    const io::Json session = json_of(c.Get("/api/session"));
    EXPECT_TRUE(session.find("can_pick")->b);
    EXPECT_EQ(session.find("classes")->array[0].find("name")->text, "top");  // the model's names
    const auto r = post(c, "/api/micrographs/sim_00000/pick", "{}");
    ASSERT_EQ(r->status, 200) << r->body;
    const auto picks = boxes_of(json_of(r));
    EXPECT_GT(picks.size(), 0u);
    for (const auto& p : picks) {
      EXPECT_GE(p.confidence, 0.01);
      EXPECT_LE(p.confidence, 1.0);
      EXPECT_GE(p.x, -0.5);
      EXPECT_LE(p.x, 1023.5);
      EXPECT_GT(p.w, 0);
    }
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
  fs::remove_all(dir);
}

TEST(ReviewProject, RefusesAnOutputFolderAmongItsInputs) {
  const fs::path dir = fresh_folder("folders");
  write_review_data(dir);
  review::ProjectOptions o = review_options(dir);
  o.out_dir = (dir / "mics").string();
  EXPECT_THROW(review::Project{o}, std::exception);
  o.out_dir = (dir / "picks").string();
  EXPECT_THROW(review::Project{o}, std::exception);
  o.out_dir = (dir / "labels").string();
  EXPECT_THROW(review::Project{o}, std::exception);
  o = review_options(dir);
  o.picks_dir = (dir / "nowhere").string();
  EXPECT_THROW(review::Project{o}, std::exception);
  o = review_options(dir);
  o.out_dir.clear();  // default: PICKS/reviewed
  EXPECT_EQ(review::Project(o).out_dir(), (dir / "picks" / "reviewed").string());
  fs::remove_all(dir);
}

// Without --labels, labels go where `train` looks for them: .../images/x.png -> .../labels/x.txt.
TEST(ReviewProject, DefaultLabelsAreWhereTrainLooks) {
  const fs::path dir = fresh_folder("labels");
  fs::create_directories(dir / "data" / "images");
  std::vector<uint8_t> grey(64 * 48, 128);
  imgproc::write_png((dir / "data" / "images" / "a.png").string(), grey.data(), 64, 48, 1);
  review::ProjectOptions o;
  o.micrographs = {(dir / "data" / "images").string()};
  review::Project project(o);
  ASSERT_EQ(project.micrographs().size(), 1u);
  EXPECT_EQ(project.micrographs()[0].label_path, train::label_path_for((dir / "data" / "images" / "a.png").string()));
  EXPECT_EQ(fs::path(project.micrographs()[0].label_path).parent_path(), dir / "data" / "labels");
  EXPECT_EQ(fs::path(project.out_dir()), dir / "data" / "reviewed");
  EXPECT_TRUE(project.default_label());  // no picks: labelling
  project.save(project.micrographs()[0], {{10.0, 20.0, 8.0, 8.0, 0, 1.0}}, 0.25, true);
  const auto labels = train::read_yolo_labels((dir / "data" / "labels" / "a.txt").string(), 1);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_NEAR(labels[0].cx, 10.5 / 64, 1e-6);
  EXPECT_NEAR(labels[0].cy, 20.5 / 48, 1e-6);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace yp::test
