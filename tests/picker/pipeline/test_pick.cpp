// test_pick.cpp: one micrograph through the pick pipeline with stand-in models whose answers are known:
// coordinates come back in the original micrograph's pixels exactly (resize, binning and tile modes,
// non-square micrographs), tiles merge without duplicates, classes are checked against the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "stand_in.h"

namespace yp::picker {
namespace {

using test::InputBox;

using test::by_position;

// Particles given in original pixels (centre index, size); `to_input` maps an original EDGE coordinate pair to
// network-input pixels by the documented geometry, written out independently of the code under test.
void expect_exact_round_trip(const imgproc::Image& mic, yolo::Detector model, const std::vector<Pick>& truth,
                             const std::function<std::pair<double, double>(double, double)>& to_input) {
  std::vector<InputBox> boxes;
  for (const Pick& t : truth) {
    const auto [x1, y1] = to_input(t.x + 0.5 - t.w / 2, t.y + 0.5 - t.h / 2);
    const auto [x2, y2] = to_input(t.x + 0.5 + t.w / 2, t.y + 0.5 + t.h / 2);
    boxes.push_back({(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, t.cls, t.confidence});
  }
  const int nc = model.nc();
  model.forward = [boxes, nc](const Tensor&) { return test::decoded_rows(boxes, nc); };
  test::expect_same_picks(pick_micrograph(test::picture8(mic), model, PickOptions{}), truth, 2e-3);
}

const std::vector<Pick> kTruth = {{37.0, 21.0, 40, 40, 0, 0.9}, {520.25, 300.5, 60, 30, 1, 0.8},
                                  {300.0, 390.0, 24, 24, 0, 0.7}, {5.0, 380.0, 50, 50, 1, 0.6}};

TEST(PickGeometry, ResizeModeIsExactOnANonSquareMicrograph) {
  // 600 x 400 -> chain bicubic to 256 x 128 (edges scale by 256/600, 128/400) -> letterbox into 320: gain 1.25,
  // 320 x 160 inside, 80 px of padding on top.
  const imgproc::Image mic(600, 400, 0.5f);
  yolo::Detector m = test::stand_in_model(nullptr, 2, 320);
  m.info.input.chain = test::resize_only_chain(256, 128);
  expect_exact_round_trip(mic, m, kTruth, [](double ex, double ey) {
    return std::pair{ex * 256.0 / 600 * 1.25, ey * 128.0 / 400 * 1.25 + 80};
  });
}

TEST(PickGeometry, BinningModeIsExactWhenTheLetterboxRounds) {
  // 700 x 500 binned by 3 -> 233 x 166 (edges / 3; the remainder columns dropped) -> letterbox into 320:
  // resized 320 x 228 (r = 320/233, 166 r = 227.98 rounds up), 92 px of padding, 46 on top.
  const imgproc::Image mic(700, 500, 0.5f);
  yolo::Detector m = test::stand_in_model(nullptr, 2, 320);
  m.info.input.chain = test::resize_only_chain(0, 0, 3);
  expect_exact_round_trip(mic, m, kTruth, [](double ex, double ey) {
    return std::pair{ex / 3 * 320.0 / 233, ey / 3 * 228.0 / 166 + 46};
  });
}

// A micrograph of zeros with bright single pixels (class 0) and bright horizontal pairs (class 1).
imgproc::Image bright_pixels(int w, int h, const std::vector<std::pair<int, int>>& singles,
                             const std::vector<std::pair<int, int>>& pairs) {
  imgproc::Image img(w, h, 0.f);
  for (auto [x, y] : singles) img.at(x, y) = 1.f;
  for (auto [x, y] : pairs) img.at(x, y) = img.at(x + 1, y) = 1.f;
  return img;
}

TEST(PickGeometry, TileModeFindsEveryParticleOnceAtItsPixel) {
  // 700 x 500 in 256-px tiles overlapping by 64: x starts 0, 192, 384, 444; y starts 0, 192, 244. Particles sit
  // in single tiles, in overlaps of two and four tiles, on the last (flush) tiles, and near every border.
  const std::vector<std::pair<int, int>> singles = {{10, 10}, {220, 40}, {230, 230}, {690, 490}, {450, 250}, {0, 499}};
  const std::vector<std::pair<int, int>> pairs = {{400, 200}, {640, 30}, {100, 470}};
  const imgproc::Image mic = bright_pixels(700, 500, singles, pairs);
  for (int channels : {1, 3}) {
    const yolo::Detector m = test::stand_in_model(test::bright_pixel_finder(2, 20), 2, 256, channels);
    PickOptions o;
    o.mode = PickMode::Tile;
    o.tile_overlap = 64;
    const PreparedMicrograph prep = prepare_micrograph(test::picture8(mic), m, o);
    EXPECT_EQ(prep.inputs.size(), 4u * 3u);
    const std::vector<Pick> got = by_position(detect_prepared(prep, m, o));
    std::vector<Pick> want;
    for (auto [x, y] : singles) want.push_back({double(x), double(y), 20, 20, 0, 0.9});
    for (auto [x, y] : pairs) want.push_back({x + 0.5, double(y), 20, 20, 1, 0.9});
    want = by_position(want);
    ASSERT_EQ(got.size(), want.size()) << "channels " << channels;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i].x, want[i].x, 1e-4) << i;
      EXPECT_NEAR(got[i].y, want[i].y, 1e-4) << i;
      EXPECT_EQ(got[i].cls, want[i].cls) << i;
    }
  }
}

TEST(PickGeometry, TileMergeRemovesDuplicatesTheOwnershipRuleMisses) {
  // Each tile reports the particle at a slightly different place (as a network does near a tile edge): the two
  // reports fall on both sides of the ownership boundary (x = 224 between tiles at 0 and 192), and the NMS across
  // tiles keeps the better one.
  yolo::Detector m = test::stand_in_model(nullptr, 1, 256);
  m.forward = [](const Tensor& x) {
    // Tile 0 sees the particle at x = 220, the tile at 192 at x = 229 - 192; tell them apart by the pixel at (0, 0).
    const bool first = x.to_vector()[0] > 0.5f;
    return test::decoded_rows({{first ? 220.0 : 37.0, 100, 30, 30, 0, first ? 0.9 : 0.8}}, 1);
  };
  imgproc::Image mic(448, 256, 0.f);
  mic.at(0, 0) = 1.f;
  PickOptions o;
  o.mode = PickMode::Tile;
  o.tile_overlap = 64;
  const std::vector<Pick> got = detect_prepared(prepare_micrograph(test::picture8(mic), m, o), m, o);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NEAR(got[0].x, 219.5, 1e-4);
  EXPECT_NEAR(got[0].confidence, 0.9, 1e-6);
}

TEST(PickGeometry, TileStartsCoverTheAxisWithTheOverlap) {
  for (int length : {100, 256, 257, 700, 1000, 4096})
    for (int overlap : {0, 32, 200}) {
      const std::vector<int> s = yolo::tile_starts(length, 256, overlap);
      std::vector<int> covered(length, 0);
      for (int x : s)
        for (int i = x; i < std::min(length, x + 256); ++i) covered[i] = 1;
      EXPECT_EQ(std::count(covered.begin(), covered.end(), 1), length) << length << " " << overlap;
      for (size_t i = 0; i + 1 < s.size(); ++i) EXPECT_GE(s[i] + 256 - s[i + 1], overlap);
      EXPECT_LE(s.back() + 256, std::max(length, 256));
    }
  EXPECT_THROW(yolo::tile_starts(1000, 256, 256), Error);
}

// One particle seen as a top view (0.8) and as a side view (0.6) is one pick, the top view, unless the user
// asks for YOLOv5's per-class NMS; a box of another class beside it (IoU 0.33) stays either way.
TEST(PickFilters, OneParticleOnePickAcrossClasses) {
  const std::vector<InputBox> boxes = {{100, 100, 40, 40, 0, 0.8}, {102, 101, 40, 38, 1, 0.6},
                                       {120, 100, 40, 40, 1, 0.7}};
  yolo::Detector m = test::stand_in_model([&](const Tensor&) { return test::decoded_rows(boxes, 2); }, 2, 256);
  const imgproc::LoadedImage mic = test::picture8(imgproc::Image(256, 256, 0.f));
  PickOptions o;
  std::vector<Pick> got = pick_micrograph(mic, m, o);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].cls, 0);
  EXPECT_NEAR(got[0].confidence, 0.8, 1e-6);
  EXPECT_EQ(got[1].cls, 1);
  EXPECT_NEAR(got[1].confidence, 0.7, 1e-6);
  o.agnostic = false;
  EXPECT_EQ(pick_micrograph(mic, m, o).size(), 3u);
}

TEST(PickFilters, MinDistanceEdgeMarginAndFloor) {
  const std::vector<InputBox> boxes = {{100, 100, 20, 20, 0, 0.9}, {108, 100, 20, 20, 1, 0.5},  // 8 px apart
                                       {200, 200, 20, 20, 0, 0.3}, {3, 150, 20, 20, 0, 0.95},   // near the left edge
                                       {150, 50, 20, 20, 0, 0.005}};                           // below the floor
  yolo::Detector m = test::stand_in_model([&](const Tensor&) { return test::decoded_rows(boxes, 2); }, 2, 256);
  const imgproc::LoadedImage mic = test::picture8(imgproc::Image(256, 256, 0.f));
  PickOptions o;
  EXPECT_EQ(pick_micrograph(mic, m, o).size(), 4u);  // floor 0.01 drops one; IoU 0.43 < 0.45 suppresses none
  o.min_distance = 10;
  EXPECT_EQ(pick_micrograph(mic, m, o).size(), 3u);
  o.edge_margin = 10;
  const std::vector<Pick> got = pick_micrograph(mic, m, o);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got[0].confidence, 0.9, 1e-6);  // best first
  o.keep_classes = {1};
  o.min_distance = 0;
  ASSERT_EQ(pick_micrograph(mic, m, o).size(), 1u);
}

TEST(PickClasses, MustFitTheModel) {
  yolo::Detector m = test::stand_in_model(nullptr, 2, 256);
  m.info.names = {"top", "side"};
  EXPECT_TRUE(resolve_classes({}, m, "m").empty());
  EXPECT_TRUE(resolve_classes({"top", "side"}, m, "m").empty());
  EXPECT_EQ(resolve_classes({"1"}, m, "m"), std::vector<int>{1});
  EXPECT_THROW(resolve_classes({"2"}, m, "m"), Error);
  EXPECT_THROW(resolve_classes({"top", "side", "ice"}, m, "m"), Error);
  EXPECT_THROW(resolve_classes({"side", "top"}, m, "m"), Error);
  try {
    resolve_classes({"particle"}, m, "model.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nc = 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace yp::picker
