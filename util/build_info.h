// build_info.h: what made this binary - version, commit, build options - for `yolopick info`, and for
// model files and run folders to record (docs/reproducibility.md). Every layer may include it; it
// depends on nothing.
//
// Reproducible by construction: every field is an input of the build (the sources' commit, the CMake
// options, the compilers), never the time or the folder of the build. The date is the commit's (or
// SOURCE_DATE_EPOCH's when the packager sets it), so two builds of one commit carry the same bytes.
#pragma once

#include <string>

namespace yp {

struct BuildInfo {
  const char* version;       // the project's version (CMake project(VERSION)), e.g. "0.1.0"
  const char* git_commit;    // 40 hex digits; YOLOPICK_GIT_COMMIT outside a checkout; "unknown" if neither
  bool git_dirty;            // tracked or untracked files differed from the commit when it was built
  const char* source_date;   // SOURCE_DATE_EPOCH if set, else the commit's date (ISO 8601, UTC); or "unknown"
  const char* build_type;    // "Release", "Debug", ...
  const char* cpu_target;    // the -march value ("x86-64-v3", "native") or "none"
  const char* cxx_compiler;  // e.g. "GNU 12.2.0"
  bool cuda;                 // the CUDA backend is compiled in
  const char* cuda_archs;    // YOLOPICK_CUDA_ARCHS when cuda, else ""
  const char* cuda_compiler; // e.g. "NVIDIA 13.0.88" when cuda, else ""
  bool cudnn;                // the cuDNN yardstick is compiled in
};

const BuildInfo& build_info();

// One line: "yolopick 0.1.0 (3883c64, Release, x86-64-v3, CUDA sm_90 + cuDNN)", "-dirty" after the
// short commit when it applies.
std::string build_info_line();

}  // namespace yp
