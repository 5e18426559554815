// fuzz_tiff.cpp: libFuzzer target for the TIFF reader (imgproc/tiff.h): any byte string must end in a decoded
// image or an yp::Error, never a crash, a sanitizer report or an allocation the bytes cannot back. Each input is
// read as the sum of its pages, as its page 1, and permissively.
// fuzz-libs: yp_imgproc
#include <cstddef>
#include <cstdint>

#include "imgproc/tiff.h"
#include "util/error.h"

using namespace yp::imgproc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (int variant = 0; variant < 3; ++variant) {
    try {
      const TiffImage t = decode_tiff(data, size, "fuzz.tif", variant == 1 ? 1 : -1, variant == 2);
      if (t.image.size() != (size_t)t.image.width * (size_t)t.image.height) __builtin_trap();
    } catch (const yp::Error&) {
    }
  }
  return 0;
}
