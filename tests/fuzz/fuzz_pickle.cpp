// fuzz_pickle.cpp: libFuzzer target for the non-executing pickle VM (yolo/io/pickle.h) and for the
// checkpoint walker behind it (yolo/io/pt_checkpoint.h: state_dict walk, tensor views, metadata,
// yaml rendering). The input is data.pkl; it is run by the VM, then wrapped in a PyTorch-style zip
// together with a zero-filled entry for every storage it names (so the CRC-checked container, which
// a byte-level fuzzer cannot get past, does not hide the walker). Any input must end in a value or a
// yp::Error. The VM limits are lowered so a run explores the limit paths instead of filling memory.
// fuzz-libs: yp_yolo
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "yolo/io/pickle.h"
#include "yolo/io/pt_checkpoint.h"
#include "yolo/io/zip_reader.h"

using namespace yp::io;

namespace {

// Touches reachable nodes, bounded in depth and in total steps (shared subtrees repeat), and
// collects the storages the tree names: key -> bytes.
void visit(const PyValue* v, int depth, size_t& budget, std::map<std::string, size_t>& storages) {
  if (!v || depth > kMaxWalkDepth || budget == 0) return;
  --budget;
  (void)v->class_name();
  if (v->is(PyKind::Storage)) {
    const StorageInfo& s = *v->storage;
    const uint64_t bytes = (uint64_t)s.numel * storage_dtype_size(s.dtype);
    if (bytes <= (1u << 16) && storages.size() < 64) storages[s.key] = (size_t)bytes;
  }
  if (v->is(PyKind::Tensor)) visit(v->tensor->storage, depth + 1, budget, storages);
  for (const PyValue* c : v->items) visit(c, depth + 1, budget, storages);
}

void put16(std::vector<uint8_t>& b, uint32_t v) {
  b.push_back(v & 0xFF);
  b.push_back((v >> 8) & 0xFF);
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

// A minimal STORED zip: local headers, data, central directory, end record.
std::vector<uint8_t> make_zip(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries) {
  std::vector<uint8_t> z, cd;
  for (const auto& [name, data] : entries) {
    const uint32_t crc = crc32(data.data(), data.size()), offset = (uint32_t)z.size(), n = (uint32_t)data.size();
    put32(z, 0x04034b50); put16(z, 20); put16(z, 0); put16(z, 0); put16(z, 0); put16(z, 0);
    put32(z, crc); put32(z, n); put32(z, n); put16(z, (uint32_t)name.size()); put16(z, 0);
    z.insert(z.end(), name.begin(), name.end());
    z.insert(z.end(), data.begin(), data.end());
    put32(cd, 0x02014b50); put16(cd, 20); put16(cd, 20); put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0);
    put32(cd, crc); put32(cd, n); put32(cd, n); put16(cd, (uint32_t)name.size());
    put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0); put32(cd, 0); put32(cd, offset);
    cd.insert(cd.end(), name.begin(), name.end());
  }
  const uint32_t cd_offset = (uint32_t)z.size();
  z.insert(z.end(), cd.begin(), cd.end());
  put32(z, 0x06054b50); put16(z, 0); put16(z, 0); put16(z, (uint32_t)entries.size()); put16(z, (uint32_t)entries.size());
  put32(z, (uint32_t)cd.size()); put32(z, cd_offset); put16(z, 0);
  return z;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  PickleLimits lim;
  lim.max_memo = 1 << 16;
  lim.max_values = 1 << 18;
  lim.max_stack = 1 << 16;
  std::map<std::string, size_t> storages;
  try {
    const PickleTree t = unpickle(data, size, "fuzz.pkl", lim);
    if (!t.root()) __builtin_trap();
    size_t budget = 100000;
    visit(t.root(), 0, budget, storages);
    if (t.root()->is(PyKind::Dict)) {
      try {
        render_yolo_yaml(t.root());
      } catch (const yp::Error&) {
      }
    }
  } catch (const yp::Error&) {
    return 0;
  }
  std::vector<std::pair<std::string, std::vector<uint8_t>>> entries;
  entries.emplace_back("archive/data.pkl", std::vector<uint8_t>(data, data + size));
  for (const auto& [key, bytes] : storages) entries.emplace_back("archive/data/" + key, std::vector<uint8_t>(bytes, 0));
  const std::vector<uint8_t> zip = make_zip(entries);
  try {
    const PtCheckpoint ck = read_pt_checkpoint(ZipReader::from_memory(zip.data(), zip.size(), "fuzz.pt"));
    for (const auto& [name, t] : ck.state_dict)
      if (!t.defined()) __builtin_trap();
  } catch (const yp::Error&) {
  }
  return 0;
}
