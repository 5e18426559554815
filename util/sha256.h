// sha256.h: SHA-256 (FIPS 180-4), for checksums the project writes and verifies: the tensor data of model files
// (yolo/model_file.h) and the tests that compare whole output files (a killed and resumed training run against
// an uninterrupted one). Plain and portable (no SIMD); its speed has not been measured here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace yp {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  // The digest as 64 lower-case hex digits. The object is spent afterwards.
  std::string hex();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  uint8_t buf_[64];
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const void* data, size_t size);
// The hash of a whole file; throws yp::Error naming PATH when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace yp
