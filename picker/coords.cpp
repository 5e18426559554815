// coords.cpp: the file-name key that pairs pick files of one micrograph (coords.h).
#include "picker/coords.h"

#include <filesystem>

#include "util/text.h"

namespace yp::picker {

std::string micrograph_key(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (const char* suffix : {"_autopick", "_manualpick", "_picks", "_truth"}) {
    const std::string s(suffix);
    if (stem.size() > s.size() && ends_with(stem, s)) {
      stem.resize(stem.size() - s.size());
      break;
    }
  }
  return stem;
}

}  // namespace yp::picker
