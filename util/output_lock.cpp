// output_lock.cpp: the per-folder writer lock (output_lock.h).
#include "util/output_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/error.h"
#include "util/text.h"

namespace yp {

OutputLock::OutputLock(const std::string& folder, const std::string& name, const std::string& what) {
  std::filesystem::create_directories(folder);
  const std::string path = (std::filesystem::path(folder) / name).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path + ": cannot open the lock file: " + std::strerror(errno));
  struct flock whole {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
  if (::fcntl(fd_, F_SETLK, &whole) != 0) {
    const int err = errno;
    std::string holder;
    char buf[512];
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    if (n > 0) holder = trim(std::string(buf, (size_t)n));
    ::close(fd_);
    fd_ = -1;
    if (err != EACCES && err != EAGAIN) throw Error(path + ": cannot lock: " + std::strerror(err));
    throw Error(folder + ": another run is writing here (" + (holder.empty() ? "holder unknown" : holder) +
                "); wait for it, or use another output folder");
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
  const std::string line = "pid " + std::to_string(::getpid()) + " on " + host + ", since " + utc_now_iso() + ", " + what + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, line.data(), line.size(), 0) != (ssize_t)line.size()) {
    // The lock holds without the line; the message of a second run then says "holder unknown".
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace yp
