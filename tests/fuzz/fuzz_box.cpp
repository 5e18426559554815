// fuzz_box.cpp: libFuzzer target for EMAN .box files (picker/formats_box.h). Whatever reads must write (two
// decimals) and read back to the same number of picks.
// fuzz-libs: yp_picker
#include <cstdlib>

#include "picker/formats_box.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"

using namespace yp::picker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "mic.box");
  try {
    const MicrographPicks m = read_eman_box(path);
    write_eman_box(path, m, false);
    if (read_eman_box(path).picks.size() != m.picks.size()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
