// fuzz_safetensors.cpp: libFuzzer target for the safetensors model-file reader and its JSON parser
// (yolo/io/safetensors.h, yolo/io/json.h). Any byte string must end in tensors whose byte sizes
// match their shapes, or in a yp::Error.
// fuzz-libs: yp_yolo
#include <cstddef>
#include <cstdint>

#include "yolo/io/json.h"
#include "yolo/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const yp::io::SafetensorsFile f = yp::io::parse_safetensors(data, size, "fuzz.safetensors");
    size_t total = 0;
    for (const auto& [name, t] : f.tensors) total += t.nbytes();
    if (total > size * 2) __builtin_trap();  // BF16 widens to F32: at most twice the input
  } catch (const yp::Error&) {
  }
  // The JSON reader on its own: the whole input as a document.
  try {
    const yp::io::Json j = yp::io::parse_json(reinterpret_cast<const char*>(data), size, "fuzz.json");
    const std::string again = yp::io::write_json(j);
    const yp::io::Json k = yp::io::parse_json(again.data(), again.size(), "again");
    if (yp::io::write_json(k) != again) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
