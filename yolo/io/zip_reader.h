// zip_reader.h: a read-only reader for the ZIP container PyTorch writes with torch.save
// (see docs/checkpoints.md, "The zip layer").
//
// Only what a checkpoint needs and nothing that could be abused:
//   * the end-of-central-directory record is searched in the last 64 KiB + 22 bytes only;
//     ZIP64 end records are followed when the classic fields are saturated (0xFFFF / 0xFFFFFFFF);
//   * sizes and offsets come from the central directory (PyTorch's local headers carry zeros);
//   * entries must be STORED (method 0), unencrypted, with compressed size == size;
//   * an entry's data starts at local_header_offset + 30 + name_len + extra_len, using the local
//     header's own lengths (PyTorch pads data to 64 bytes with an "FB" extra field there);
//   * every offset and size is checked against the bytes that exist; no allocation is made from a
//     header value (entry data is a view into the mapped file).
// Every problem is a yp::Error naming the file and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"  // yp::Error, thrown on every bad input

namespace yp::io {

struct ZipEntry {
  std::string name;
  uint64_t size = 0;         // bytes of data (stored == uncompressed)
  uint64_t data_offset = 0;  // where the data begins in the file
  uint32_t crc32 = 0;        // from the central directory
};

// IEEE CRC-32 (the ZIP polynomial 0xEDB88320), as used to verify entries.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

class ZipReader {
 public:
  // Maps the file read-only. `label` (the path) names the file in errors.
  static ZipReader open(const std::string& path);
  // Parses bytes the caller keeps alive for the reader's lifetime (tests, fuzzing).
  static ZipReader from_memory(const uint8_t* data, size_t size, const std::string& label);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const std::string& label() const { return label_; }
  size_t size() const { return size_; }  // bytes of the whole archive
  // The entry with this exact name, or nullptr.
  const ZipEntry* find(const std::string& name) const;
  // A view of the entry's bytes (valid while the reader lives). With verify_crc the CRC-32 from the
  // central directory is checked first (a torn or bit-flipped file is an error, not garbage weights).
  const uint8_t* data(const ZipEntry& e, bool verify_crc = true) const;

 private:
  struct Mapping;
  std::shared_ptr<Mapping> mapping_;  // keeps an mmap alive; empty for from_memory
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  std::string label_;
  std::vector<ZipEntry> entries_;
  void parse();
};

}  // namespace yp::io
