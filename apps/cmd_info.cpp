// cmd_info.cpp: `yolopick info` - what this build is and what it can run on.
#include <cstdio>
#include <string>

#include "apps/commands.h"
#include "tensor/device.h"
#include "tensor/parallel.h"

#ifndef YOLOPICK_VERSION
#define YOLOPICK_VERSION "unknown"
#endif
#ifndef YOLOPICK_BUILD_TYPE
#define YOLOPICK_BUILD_TYPE "unknown"
#endif
#ifndef YOLOPICK_MARCH
#define YOLOPICK_MARCH "unknown"
#endif

namespace yp::app {

int cmd_info(const Args& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("usage: yolopick info            describe this build\n");
    return 0;
  }
  std::printf("yolopick %s\n", YOLOPICK_VERSION);
  std::printf("build:        %s, -march=%s, compiler %s\n", YOLOPICK_BUILD_TYPE, YOLOPICK_MARCH, __VERSION__);
  std::printf("backends:     cpu%s%s\n", built_with_cuda() ? ", cuda" : "", built_with_cudnn() ? ", cudnn" : "");
  std::printf("cpu threads:  %d\n", cpu_threads());
  std::string reason;
  const int n = cuda_device_count(&reason);
  if (n == 0) {
    std::printf("cuda devices: none (%s)\n", reason.c_str());
  } else {
    std::printf("cuda devices: %d\n", n);
    for (int i = 0; i < n; ++i) std::printf("  [%d] %s\n", i, cuda_device_name(i).c_str());
  }
  return 0;
}

}  // namespace yp::app
