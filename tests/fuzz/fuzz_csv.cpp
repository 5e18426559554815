// fuzz_csv.cpp: libFuzzer target for the picks CSV (picker/formats_text.h) and the marked-position files
// (NAME.excluded.txt). Whatever reads must write and read back to the same number of rows.
// fuzz-libs: yp_picker
#include <cstdlib>

#include "picker/formats_text.h"
#include "tests/fuzz/fuzz_file.h"
#include "util/error.h"

using namespace yp::picker;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = yp::fuzz::as_file(data, size, "mic.csv");
  try {
    const MicrographPicks m = read_picks_csv(path);
    write_picks_csv(path, m);
    if (read_picks_csv(path).picks.size() != m.picks.size()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  try {
    read_marked_positions(yp::fuzz::as_file(data, size, "mic.excluded.txt"));
  } catch (const yp::Error&) {
  }
  return 0;
}
