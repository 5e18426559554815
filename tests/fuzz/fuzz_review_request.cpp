// fuzz_review_request.cpp: libFuzzer target for what the review server decodes from a browser (review/requests.h):
// a save request, an export request and review.json. Whatever decodes must hold the promised bounds, and its
// boxes must encode back to JSON without an error.
// fuzz-libs: yp_review
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "review/requests.h"
#include "tensor/tensor.h"  // yp::Error

using namespace yp::review;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  constexpr int kWidth = 1024, kHeight = 768;
  try {
    const SaveRequest r = decode_save_request(body, kWidth, kHeight);
    if (r.boxes.size() > kMaxBoxes || !(r.threshold >= 0 && r.threshold <= 1)) __builtin_trap();
    for (const Pick& p : r.boxes) {
      if (!(p.x >= -0.5 && p.x <= kWidth - 0.5 && p.y >= -0.5 && p.y <= kHeight - 0.5)) __builtin_trap();
      if (!(p.w > 0 && p.h > 0 && std::isfinite(p.w) && std::isfinite(p.h))) __builtin_trap();
      if (p.cls < 0 || p.cls >= kMaxClasses || !(std::fabs(p.confidence) <= 1e9)) __builtin_trap();
    }
    encode_picks(r.boxes);
  } catch (const RequestError& e) {
    if (e.status < 400 || e.status >= 500) __builtin_trap();
  }
  try {
    const double t = decode_threshold_request(body);
    if (!(t >= 0 && t <= 1)) __builtin_trap();
  } catch (const RequestError&) {
  }
  try {
    decode_settings(body, "review.json");
  } catch (const yp::Error&) {
  }
  return 0;
}
