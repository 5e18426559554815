// run_command.h: runs a shell command line (the real `yolopick` program in end-to-end tests) with its output
// discarded, and returns its exit code (-1 when it did not exit normally, e.g. killed by a signal).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

namespace yp::test {

inline int run_command(const std::string& cmd) {
  const int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace yp::test
