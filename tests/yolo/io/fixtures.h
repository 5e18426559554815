// fixtures.h: helpers for the checkpoint-format tests: file bytes, the committed fixtures in
// tests/yolo/io/data/ (made by make_fixtures.py), and a minimal STORED zip writer laid out the way
// PyTorch writes (64-byte aligned data via an "FB" padding extra field, zero sizes in local headers).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/shared_data.h"
#include "yolo/io/zip_reader.h"

namespace yp::test {

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline std::string fixture(const std::string& name) { return source_path("tests/yolo/io/data/" + name); }

inline std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Builds a zip of STORED entries like PyTorch's writer.
inline std::vector<uint8_t> make_torch_zip(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries) {
  std::vector<uint8_t> z, cd;
  auto u16 = [](std::vector<uint8_t>& b, uint32_t v) { b.push_back(v & 0xFF); b.push_back((v >> 8) & 0xFF); };
  auto u32 = [&](std::vector<uint8_t>& b, uint32_t v) { u16(b, v & 0xFFFF); u16(b, v >> 16); };
  for (const auto& [name, data] : entries) {
    const uint32_t lho = (uint32_t)z.size();
    const size_t header_end = z.size() + 30 + name.size() + 4;
    const size_t pad = (64 - header_end % 64) % 64;
    u32(z, 0x04034b50); u16(z, 20); u16(z, 0x0808); u16(z, 0); u16(z, 0); u16(z, 0);
    u32(z, 0); u32(z, 0); u32(z, 0);  // crc and sizes are zero in PyTorch's local headers
    u16(z, (uint32_t)name.size()); u16(z, (uint32_t)(4 + pad));
    z.insert(z.end(), name.begin(), name.end());
    u16(z, 0x4246); u16(z, (uint32_t)pad); z.insert(z.end(), pad, 'Z');
    z.insert(z.end(), data.begin(), data.end());
    const uint32_t crc = yp::io::crc32(data.data(), data.size());
    u32(z, 0x08074b50); u32(z, crc); u32(z, (uint32_t)data.size()); u32(z, (uint32_t)data.size());
    u32(cd, 0x02014b50); u16(cd, 20); u16(cd, 20); u16(cd, 0x0808); u16(cd, 0); u16(cd, 0); u16(cd, 0);
    u32(cd, crc); u32(cd, (uint32_t)data.size()); u32(cd, (uint32_t)data.size());
    u16(cd, (uint32_t)name.size()); u16(cd, 0); u16(cd, 0); u16(cd, 0); u16(cd, 0); u32(cd, 0); u32(cd, lho);
    cd.insert(cd.end(), name.begin(), name.end());
  }
  const uint32_t cd_offset = (uint32_t)z.size();
  z.insert(z.end(), cd.begin(), cd.end());
  u32(z, 0x06054b50); u16(z, 0); u16(z, 0); u16(z, (uint32_t)entries.size()); u16(z, (uint32_t)entries.size());
  u32(z, (uint32_t)cd.size()); u32(z, cd_offset); u16(z, 0);
  return z;
}

}  // namespace yp::test
