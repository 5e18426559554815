// shared_data.h: where the shared test data (../shared beside the repo) is.
// $YOLOPICK_SHARED wins over the configure-time default. Tests that need a file call
// YP_REQUIRE_SHARED(path) and are skipped with the reason when it is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace yp::test {

inline std::string shared_dir() {
  const char* env = std::getenv("YOLOPICK_SHARED");
  return env && *env ? env : YOLOPICK_SHARED_DEFAULT;
}

inline std::string shared_path(const std::string& rel) { return shared_dir() + "/" + rel; }

inline std::string source_path(const std::string& rel) { return std::string(YOLOPICK_SOURCE_DIR) + "/" + rel; }

}  // namespace yp::test

#define YP_REQUIRE_SHARED(var, rel)                                                             \
  const std::string var = ::yp::test::shared_path(rel);                                         \
  if (!std::filesystem::exists(var)) GTEST_SKIP() << "shared data absent: " << var              \
                                                  << " (set YOLOPICK_SHARED to the shared folder)"
