// atomic_file.cpp: temporary file + rename, failure cleanup, the sweep and the fake full disk (atomic_file.h).
#include "util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "util/error.h"
#include "util/text.h"

namespace yp {

namespace {

constexpr const char* kTempMarker = ".yp-tmp.";

std::mutex g_hook_mutex;
std::function<bool(const std::string&)> g_fail_hook;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "host";
  std::string h = buf;
  for (char& c : h)
    if (c == '.' || c == '/') c = '_';  // the marker splits on dots
  return h;
}

bool fails_for_testing(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_hook_mutex);
  return g_fail_hook && g_fail_hook(path);
}

// Writes every byte or returns the errno of the failure.
int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += k, n -= (size_t)k;
  }
  return 0;
}

}  // namespace

std::string temporary_path(const std::string& path) {
  return path + kTempMarker + host_name() + "." + std::to_string(::getpid());
}

void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces) {
  const std::string tmp = temporary_path(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot write: " + std::strerror(errno));
  int err = 0;
  if (fails_for_testing(path)) {
    size_t total = 0;
    for (std::string_view piece : pieces) total += piece.size();
    std::string half;
    for (std::string_view piece : pieces) half.append(piece.data(), piece.size());
    half.resize(total / 2);
    write_all(fd, half.data(), half.size());
    err = ENOSPC;
  }
  for (std::string_view piece : pieces)
    if (!err) err = write_all(fd, piece.data(), piece.size());
  if (::close(fd) != 0 && !err) err = errno;  // NFS reports a full disk at close
  if (!err && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    std::remove(tmp.c_str());
    throw Error(path + ": not written: " + std::strerror(err));
  }
}

int sweep_temporary_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  const std::string mine = std::string(kTempMarker) + host_name() + ".";
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(mine);
    if (at == std::string::npos) continue;
    const std::string pid_text = name.substr(at + mine.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = (pid_t)std::stol(pid_text);
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

void set_write_failure_for_testing(std::function<bool(const std::string& path)> fails) {
  std::lock_guard<std::mutex> lock(g_hook_mutex);
  g_fail_hook = std::move(fails);
}

}  // namespace yp
