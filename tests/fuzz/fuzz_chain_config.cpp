// fuzz_chain_config.cpp: libFuzzer target for the chain config's text form (imgproc/chain.h), which a
// trained model file carries. Whatever parses must serialise and parse back to the same text.
// fuzz-libs: yp_imgproc
#include <cstddef>
#include <cstdint>
#include <string>

#include "imgproc/chain.h"

using namespace yp::imgproc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const ChainConfig c = chain_config_from_text(std::string((const char*)data, size));
    const std::string text = to_text(c);
    if (to_text(chain_config_from_text(text)) != text) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
