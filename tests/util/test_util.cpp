// test_util.cpp: the low drawer (util/) - the one IoU in each of its three uses, the text helpers every parser
// shares, and the atomic text write.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/atomic_file.h"
#include "util/box.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/text.h"

namespace yp {
namespace {

namespace fs = std::filesystem;

TEST(BoxIou, HalfOverlapDisjointAndEmpty) {
  // two 10x10 boxes sharing a 5x10 strip: 50 / (100 + 100 - 50)
  EXPECT_NEAR(box_iou(Box<double>{0, 0, 10, 10}, Box<double>{5, 0, 15, 10}), 50.0 / 150.0, 1e-15);
  EXPECT_EQ(box_iou(Box<double>{0, 0, 10, 10}, Box<double>{20, 20, 30, 30}), 0.0);
  EXPECT_EQ(box_iou(Box<double>{0, 0, 10, 10}, Box<double>{10, 0, 20, 10}), 0.0);  // touching edges
  EXPECT_EQ(box_iou(Box<double>{3, 3, 3, 3}, Box<double>{3, 3, 3, 3}), 0.0);       // empty union: 0, not NaN
  EXPECT_EQ(box_iou(Box<double>{0, 0, 10, 10}, Box<double>{0, 0, 10, 10}), 1.0);
}

// NMS needs torchvision's float32 arithmetic exactly; the metrics need YOLOv5's eps in double.
TEST(BoxIou, Float32WithoutEpsAndDoubleWithEps) {
  const Box<float> a{0.1f, 0.2f, 10.3f, 7.7f}, b{3.3f, 1.1f, 12.9f, 9.4f};
  const float area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  const float inter = (std::min(a.x2, b.x2) - std::max(a.x1, b.x1)) * (std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  EXPECT_EQ(box_iou(a, b), inter / (area_a + area_b - inter));  // bit for bit
  const Box<double> c{0, 0, 10, 10}, d{5, 0, 15, 10};
  EXPECT_EQ(box_iou(c, d, 1e-7), 50.0 / (150.0 + 1e-7));
}

TEST(Text, TrimSplitAndCase) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim(" \v\f "), "");
  EXPECT_EQ(split_char(" a, b ,,c ", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split_char("", ','), std::vector<std::string>{""});
  EXPECT_EQ(split_whitespace("  1 2\t3 "), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(to_lower("MiXeD.PNG"), "mixed.png");
  EXPECT_EQ(lower_extension("dir.v2/Mic_01.MRC"), ".mrc");
  EXPECT_EQ(lower_extension("dir.v2/noext"), "");
  EXPECT_TRUE(ends_with("mic01_autopick", "_autopick"));
  EXPECT_FALSE(ends_with("pick", "_autopick"));
  EXPECT_TRUE(starts_with("model.24.m.0", "model.24."));
  EXPECT_EQ(fmt(0.5, 3), "0.500");
  EXPECT_EQ(fmt(-0.2, 0), "0");  // .box corners were "-0"
  EXPECT_EQ(fmt(-0.001, 2), "0.00");
  EXPECT_EQ(fmt(-0.6, 0), "-1");
}

TEST(Text, NumbersNameTheFileAndLine) {
  EXPECT_EQ(parse_double(" 1.5", "f", 1, "x"), 1.5) << "strtod skips leading blanks";
  EXPECT_EQ(parse_int("-3", "f", 1, "class"), -3);
  try {
    parse_double("1.5x", "picks.star", 7, "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "picks.star:7: bad x '1.5x'");
  }
  EXPECT_THROW(parse_double("inf", "f", 1, "x"), Error);
  EXPECT_THROW(parse_int("2.5", "f", 1, "class"), Error);
}

TEST(Text, AtomicWriteLeavesNoTemporary) {
  const fs::path dir = fs::temp_directory_path() / ("yp_util_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "a.txt").string();
  write_text_file_atomic(path, "one\n");
  write_text_file_atomic(path, "two\n");
  EXPECT_EQ(read_text_file(path), "two\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temporary left
  EXPECT_THROW(read_text_file((dir / "missing.txt").string()), Error);
  EXPECT_THROW(write_text_file_atomic((dir / "no/such/dir/b.txt").string(), "x"), Error);
  fs::remove_all(dir);
}

// A full disk (injected: half the bytes, then ENOSPC) leaves the previous file as it was, no temporary file, and
// an error that names the file and the reason.
TEST(AtomicFile, AFullDiskLeavesThePreviousFileAndNoTemporary) {
  const fs::path dir = fs::temp_directory_path() / ("yp_atomic_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "a.box").string();
  write_file_atomic(path, std::string("old\n"));
  set_write_failure_for_testing([&](const std::string& p) { return p == path; });
  try {
    write_file_atomic(path, std::string(1000, 'x'));
    ADD_FAILURE() << "the injected failure did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": not written: No space left on device");
  }
  set_write_failure_for_testing(nullptr);
  EXPECT_EQ(read_text_file(path), "old\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

// The sweep removes what a dead writer on this host left, and leaves a live writer's temporary file alone.
TEST(AtomicFile, SweepRemovesOnlyDeadWritersTemporaries) {
  const fs::path dir = fs::temp_directory_path() / ("yp_sweep_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // reaped: its pid names no process now
  const std::string mine = temporary_path((dir / "live.png").string());
  std::string dead = temporary_path((dir / "dead.png").string());
  dead = dead.substr(0, dead.rfind('.') + 1) + std::to_string(child);
  std::ofstream(mine) << "x";
  std::ofstream(dead) << "x";
  std::ofstream(dir / "notes.yp-tmp.txt") << "x";  // not a temporary name
  EXPECT_EQ(sweep_temporary_files(dir.string()), 1);
  EXPECT_TRUE(fs::exists(mine));
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(dir / "notes.yp-tmp.txt"));
  EXPECT_EQ(sweep_temporary_files((dir / "missing").string()), 0);
  fs::remove_all(dir);
}

// FIPS 180-4 example vectors, and a message fed in pieces that straddle the 64-byte blocks.
TEST(Sha256, KnownDigestsAndPiecewiseUpdates) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  Sha256 pieces;
  for (size_t at = 0; at < million.size(); at += 37) pieces.update(million.data() + at, std::min<size_t>(37, million.size() - at));
  EXPECT_EQ(pieces.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace yp
