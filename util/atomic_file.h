// atomic_file.h: the one way the project writes a file (docs/robustness.md).
//
// The bytes go to a temporary file beside the final one, PATH.yp-tmp.HOST.PID, which is then renamed over PATH
// (rename is atomic within a folder): a reader, a crash or kill -9 sees the old file or the new one, never half
// of one. On any failure - a full disk, a missing folder, a read-only one - the temporary file is removed and a
// yp::Error names PATH and the system's reason ("No space left on device"). The host and process in the name
// keep concurrent writers (array tasks sharing a folder) apart and let a later run on the same host sweep what a
// killed writer left (sweep_temporary_files). Not fsync'd: safe against the process dying, not against the
// machine losing power.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace yp {

void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces);
inline void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic(path, std::vector<std::string_view>{bytes});
}

// The temporary name this process writes PATH through.
std::string temporary_path(const std::string& path);

// Removes the temporary files directly in `dir` that writers on this host left when they died (their process
// no longer runs); a live writer's, and other hosts', are left alone. Returns how many were removed; a missing
// folder has none.
int sweep_temporary_files(const std::string& dir);

// Tests only: a fake full disk. While set, a write whose final path makes `fails` return true writes half its
// bytes and then fails as a full disk would (ENOSPC). Pass nullptr to clear.
void set_write_failure_for_testing(std::function<bool(const std::string& path)> fails);

}  // namespace yp
