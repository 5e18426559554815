// test_build_info.cpp: util/build_info.h records what CMake was told and what git says, in the
// formats the docs promise (docs/reproducibility.md).
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "util/build_info.h"

namespace yp {
namespace {

TEST(BuildInfo, RecordsTheConfiguration) {
  const BuildInfo& b = build_info();
  EXPECT_STREQ(b.version, YP_EXPECTED_VERSION);
  EXPECT_STREQ(b.build_type, YP_EXPECTED_BUILD_TYPE);
  EXPECT_EQ(b.cuda, YP_EXPECTED_CUDA != 0);
  EXPECT_EQ(std::string(b.cuda_archs).empty(), !b.cuda);
  EXPECT_FALSE(std::string(b.cpu_target).empty());
  EXPECT_FALSE(std::string(b.cxx_compiler).empty());
}

TEST(BuildInfo, CommitIsFortyHexDigitsOrUnknown) {
  const std::string commit = build_info().git_commit;
  if (commit == "unknown") GTEST_SKIP() << "built outside a git checkout without YOLOPICK_GIT_COMMIT";
  ASSERT_EQ(commit.size(), 40u) << commit;
  for (char c : commit) EXPECT_TRUE(std::isxdigit((unsigned char)c)) << commit;
  const std::string date = build_info().source_date;  // 2026-12-02T11:21:41Z
  ASSERT_EQ(date.size(), 20u) << date;
  EXPECT_EQ(date[4], '-');
  EXPECT_EQ(date[10], 'T');
  EXPECT_EQ(date.back(), 'Z');
}

TEST(BuildInfo, OneLineSummary) {
  const BuildInfo& b = build_info();
  const std::string line = build_info_line();
  EXPECT_EQ(line.rfind(std::string("yolopick ") + b.version + " (", 0), 0u) << line;
  EXPECT_NE(line.find(b.build_type), std::string::npos) << line;
  EXPECT_EQ(line.find("-dirty") != std::string::npos, b.git_dirty) << line;
  EXPECT_EQ(line.find("CUDA") != std::string::npos, b.cuda) << line;
}

}  // namespace
}  // namespace yp
