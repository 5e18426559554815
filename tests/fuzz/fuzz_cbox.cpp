// fuzz_cbox.cpp: libFuzzer target for crYOLO .cbox files, the STAR form and the legacy tab form
// (picker/formats_box.h). Whatever reads must write and read back to the same number of picks.
// fuzz-libs: yp_picker
#include <cstdlib>

#include "picker/formats_box.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"

using namespace yp::picker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "mic.cbox");
  try {
    const MicrographPicks m = read_cbox(path);
    write_cbox(path, m);
    if (read_cbox(path).picks.size() != m.picks.size()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
