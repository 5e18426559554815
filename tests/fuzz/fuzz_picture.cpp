// fuzz_picture.cpp: libFuzzer target for imgproc's picture decoding (decode_picture: our size checks
// around stb_image's PNG/JPEG/BMP/TGA/PNM decoders). Inputs must decode or throw yp::Error.
// Note: Debian's libstb.so itself is not instrumented; ASan still catches our side and stb's heap misuse
// of the buffers we own.
// fuzz-libs: yp_imgproc
#include <cstddef>
#include <cstdint>

#include "imgproc/image_io.h"

using namespace yp::imgproc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Image img = decode_picture(data, size, "fuzz.png");
    if (img.width <= 0 || img.height <= 0 || (int64_t)img.width * img.height > kMaxPixels) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
