// output_lock.h: one writer per output folder. Two runs into one folder both did all the work and overwrote each
// other; now the second is refused with a line naming the holder:
//   "runs/pick: another run is writing here (pid 4711 on node07, since 2026-12-02 15:31:53 UTC, pick shard 0/1);
//    wait for it, or use another output folder"
// The lock is a POSIX record lock (fcntl F_SETLK, which NFS forwards to its lock manager) on FOLDER/NAME, held
// while the object lives and released by the kernel when the process dies, so kill -9 leaves no stale lock. The
// file keeps the holder's line for the message. Job-array tasks of one pick lock per shard (NAME carries it), so
// they share a folder and only a second copy of the same task is refused.
#pragma once

#include <string>

namespace yp {

class OutputLock {
 public:
  // Creates FOLDER if needed and takes FOLDER/NAME; throws yp::Error naming the holder when another process has
  // it. `what` ("pick shard 0/1", "train") goes into the holder's line.
  OutputLock(const std::string& folder, const std::string& name, const std::string& what);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace yp
