// run_command.h: runs a shell command line (the real `yolopick` program in end-to-end tests) with its output
// discarded (or captured), and returns its exit code (-1 when it did not exit normally, e.g. killed by a signal).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace yp::test {

inline int run_command(const std::string& cmd) {
  const int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The same, with stdout and stderr together in `output` (read through a pipe).
inline int run_command(const std::string& cmd, std::string& output) {
  output.clear();
  FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  const int rc = ::pclose(pipe);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace yp::test
