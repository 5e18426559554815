// fuzz_zip.cpp: libFuzzer target for the checkpoint container (yolo/io/zip_reader.h) and everything
// behind it (pickle VM, state_dict walk, tensor views, yaml rendering in yolo/io/pt_checkpoint.h).
// Any byte string must end in a PtCheckpoint or a yp::Error: never a crash, a sanitizer report, or an
// allocation larger than the input can back.
// fuzz-libs: yp_yolo
#include <cstddef>
#include <cstdint>

#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const yp::io::ZipReader zip = yp::io::ZipReader::from_memory(data, size, "fuzz.pt");
    for (const yp::io::ZipEntry& e : zip.entries()) {
      try {
        const uint8_t* p = zip.data(e);
        if (e.size > 0 && (p < data || p + e.size > data + size)) __builtin_trap();
      } catch (const yp::Error&) {
      }
    }
    const yp::io::PtCheckpoint ck = yp::io::read_pt_checkpoint(zip);
    for (const auto& [name, t] : ck.state_dict)
      if (!t.defined() || name.empty()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
