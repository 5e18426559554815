// fuzz_file.h: the text-format fuzzers' one helper - the readers take a path (they name it in errors and take
// the micrograph's name from it), so each input is written to a scratch file first. One file per process and
// extension, rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace yp::fuzz {

inline std::string as_file(const uint8_t* data, size_t size, const char* name) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir && *dir ? dir : "/tmp") + "/yp_fuzz_" + std::to_string(::getpid()) + "_" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();  // the scratch folder is the harness's, not the input's, problem
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace yp::fuzz
