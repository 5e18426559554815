// fuzz_star.cpp: libFuzzer target for RELION STAR coordinate files and the autopick.star index
// (picker/formats_star.h). Whatever reads must write and read back to the same number of picks.
// fuzz-libs: yp_picker
#include <cstdlib>

#include "picker/formats_star.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"

using namespace yp::picker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "mic_autopick.star");
  try {
    const MicrographPicks m = read_star_coordinates(path, 64);
    write_star_coordinates(path, m);
    if (read_star_coordinates(path, 64).picks.size() != m.picks.size()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  try {
    read_autopick_index(yp::fuzz::as_file(data, size, "autopick.star"));
  } catch (const yp::Error&) {
  }
  return 0;
}
