// build_info.cpp: see build_info.h. The values come from build_info_values.h, which
// util/build_info.cmake writes into the build folder at every build (only when they change).
#include "util/build_info.h"

#include "build_info_values.h"

namespace yp {

const BuildInfo& build_info() {
  static const BuildInfo info{YP_BUILD_VERSION,      YP_BUILD_GIT_COMMIT, YP_BUILD_GIT_DIRTY != 0,
                              YP_BUILD_SOURCE_DATE,  YP_BUILD_TYPE,       YP_BUILD_CPU_TARGET,
                              YP_BUILD_CXX_COMPILER, YP_BUILD_CUDA != 0,  YP_BUILD_CUDA_ARCHS,
                              YP_BUILD_CUDA_COMPILER, YP_BUILD_CUDNN != 0};
  return info;
}

std::string build_info_line() {
  const BuildInfo& b = build_info();
  std::string commit = b.git_commit;
  if (commit.size() > 7 && commit != "unknown") commit.resize(7);
  if (b.git_dirty) commit += "-dirty";
  std::string line = std::string("yolopick ") + b.version + " (" + commit + ", " + b.build_type + ", " + b.cpu_target;
  if (b.cuda) line += std::string(", CUDA sm_") + b.cuda_archs + (b.cudnn ? " + cuDNN" : "");
  return line + ")";
}

}  // namespace yp
