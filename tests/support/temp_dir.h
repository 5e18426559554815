// temp_dir.h: an empty scratch folder per test (TMPDIR/yp_NAME_PID, emptied first, so a re-run starts clean and
// two test processes never share one), and the message of the exception a call throws.
#pragma once

#include <unistd.h>

#include <exception>
#include <filesystem>
#include <functional>
#include <string>

namespace yp::test {

inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path d = fs::temp_directory_path() / ("yp_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// "" when f returns normally.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace yp::test
