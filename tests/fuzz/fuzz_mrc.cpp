// fuzz_mrc.cpp: libFuzzer target for the MRC2014 parser (imgproc/mrc.h). Any byte string must end in
// a decoded image or an yp::Error, never a crash, a sanitizer report or an allocation the file
// cannot back. Each input is parsed strictly, permissively, and as a stack's second section.
// fuzz-libs: yp_imgproc
#include <cstddef>
#include <cstdint>

#include "imgproc/mrc.h"

using namespace yp::imgproc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (int variant = 0; variant < 3; ++variant) {
    MrcReadOptions o;
    o.permissive = variant >= 1;
    o.section = variant == 2 ? 1 : -1;
    try {
      const MrcImage m = parse_mrc(data, size, "fuzz.mrc", o);
      if (m.image.size() != (size_t)m.info.nx * (size_t)m.info.ny) __builtin_trap();
    } catch (const yp::Error&) {
    }
  }
  return 0;
}
