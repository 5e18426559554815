// safetensors.cpp: writer and validating reader for the layout in safetensors.h.
#include "yolo/io/safetensors.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "tensor/half.h"
#include "util/atomic_file.h"
#include "util/sha256.h"
#include "yolo/io/json.h"

namespace yp::io {

namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;  // the reference implementation's limit
constexpr size_t kMaxDims = 16;

const char* store_name(DType t) { return t == DType::F16 ? "F16" : t == DType::F64 ? "F64" : "F32"; }

void put_u64(std::string& out, uint64_t v) {
  for (int k = 0; k < 8; ++k) out += (char)((v >> (8 * k)) & 0xFF);
}

// The tensor's values as little-endian bytes of `store` (the host is little-endian: x86-64/aarch64).
std::string tensor_bytes(const std::string& name, const Tensor& t, DType store) {
  const std::vector<float> f = t.to_vector();  // any dtype, any device
  std::string out;
  if (store == DType::F32) {
    out.resize(f.size() * 4);
    if (!f.empty()) std::memcpy(&out[0], f.data(), f.size() * 4);
    return out;
  }
  out.resize(f.size() * 2);
  for (size_t k = 0; k < f.size(); ++k) {
    if (std::isfinite(f[k]) && std::fabs(f[k]) > 65504.0f)
      throw Error("save_safetensors: tensor '" + name + "' holds " + std::to_string(f[k]) + ", beyond the F16 range");
    const uint16_t h = float_to_half(f[k]);
    std::memcpy(&out[k * 2], &h, 2);
  }
  return out;
}

// Index of the first NaN/Inf element, or -1.
int64_t first_non_finite(const Tensor& t) {
  const int64_t n = t.numel();
  if (t.dtype() == DType::F16) {
    const uint16_t* h = t.data<uint16_t>();
    for (int64_t k = 0; k < n; ++k)
      if ((h[k] & 0x7C00u) == 0x7C00u) return k;
  } else if (t.dtype() == DType::F32) {
    const float* x = t.data<float>();
    for (int64_t k = 0; k < n; ++k)
      if (!std::isfinite(x[k])) return k;
  } else {
    const double* x = t.data<double>();
    for (int64_t k = 0; k < n; ++k)
      if (!std::isfinite(x[k])) return k;
  }
  return -1;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata, DType store, bool with_checksum) {
  YP_CHECK(store == DType::F32 || store == DType::F16, "save_safetensors: store dtype must be F32 or F16");
  Json header;
  header.kind = Json::Kind::Object;
  std::string data;
  std::vector<std::pair<std::string, Json>> entries;
  std::vector<std::string> seen;
  for (const auto& [name, t] : tensors) {
    YP_CHECK(t.defined(), "save_safetensors: tensor '" + name + "' is undefined");
    YP_CHECK(name != "__metadata__" && !name.empty(), "save_safetensors: bad tensor name '" + name + "'");
    YP_CHECK(std::find(seen.begin(), seen.end(), name) == seen.end(), "save_safetensors: duplicate name '" + name + "'");
    seen.push_back(name);
    const uint64_t begin = data.size();
    data += tensor_bytes(name, t, store);
    Json entry;
    entry.kind = Json::Kind::Object;
    entry.object.emplace_back("dtype", Json::string(store_name(store)));
    std::vector<Json> dims;
    for (int64_t d : t.shape()) dims.push_back(Json::integer(d));
    entry.object.emplace_back("shape", Json::array_of(std::move(dims)));
    entry.object.emplace_back("data_offsets", Json::array_of({Json::integer((int64_t)begin), Json::integer((int64_t)data.size())}));
    entries.emplace_back(name, std::move(entry));
  }
  std::map<std::string, std::string> meta_out = metadata;
  meta_out.erase(kDataChecksumKey);  // metadata read from another file: its checksum is not of this data
  if (with_checksum) meta_out[kDataChecksumKey] = sha256_hex(data.data(), data.size());
  if (!meta_out.empty()) {
    Json meta;
    meta.kind = Json::Kind::Object;
    for (const auto& [k, v] : meta_out) meta.object.emplace_back(k, Json::string(v));
    header.object.emplace_back("__metadata__", std::move(meta));
  }
  for (auto& e : entries) header.object.push_back(std::move(e));
  std::string text = write_json(header);
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::string head;
  put_u64(head, text.size());

  write_file_atomic(path, {head, text, data});
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw Error(path + ": cannot open");
  const std::streamoff size = f.tellg();
  if (size < 0) throw Error(path + ": cannot read its size");
  std::vector<uint8_t> bytes((size_t)size);  // the file's own size, not a header value
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), size)) throw Error(path + ": read failed");
  return parse_safetensors(bytes.data(), bytes.size(), path);
}

SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& label) {
  auto fail = [&](const std::string& why) -> void { throw Error(label + ": " + why); };
  if (size < 8) fail("too small for a safetensors file (" + std::to_string(size) + " bytes)");
  uint64_t n = 0;
  for (int k = 0; k < 8; ++k) n |= (uint64_t)data[k] << (8 * k);
  if (n > kMaxHeaderBytes) fail("header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  if (n > size - 8) fail("header length " + std::to_string(n) + " runs past the end of the file (truncated?)");
  if (n < 2 || data[8] != '{') fail("header is not a JSON object");
  const Json header = parse_json(reinterpret_cast<const char*>(data + 8), (size_t)n, label + " header");
  if (!header.is(Json::Kind::Object)) fail("header is not a JSON object");
  const uint8_t* base = data + 8 + n;
  const uint64_t data_size = size - 8 - n;

  struct Entry {
    std::string name;
    DType dtype;
    bool bf16;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  SafetensorsFile out;
  for (const auto& [name, v] : header.object) {
    if (name == "__metadata__") {
      if (!v.is(Json::Kind::Object)) fail("__metadata__ is not an object");
      for (const auto& [k, s] : v.object) {
        if (!s.is(Json::Kind::String)) fail("__metadata__ value for '" + k + "' is not a string");
        out.metadata[k] = s.text;
      }
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    const Json* dt = v.find("dtype");
    const Json* sh = v.find("shape");
    const Json* off = v.find("data_offsets");
    if (!dt || !dt->is(Json::Kind::String) || !sh || !sh->is(Json::Kind::Array) || !off ||
        !off->is(Json::Kind::Array) || off->array.size() != 2)
      fail(what + " needs dtype, shape and data_offsets [begin, end]");
    Entry e{name, DType::F32, false, {}, 0, 0};
    size_t itemsize = 4;
    if (dt->text == "F32") e.dtype = DType::F32;
    else if (dt->text == "F16") e.dtype = DType::F16, itemsize = 2;
    else if (dt->text == "F64") e.dtype = DType::F64, itemsize = 8;
    else if (dt->text == "BF16") e.bf16 = true, itemsize = 2;
    else fail(what + " has dtype '" + dt->text + "' (F16, BF16, F32 and F64 are read)");
    if (sh->array.size() > kMaxDims) fail(what + " has more than 16 dimensions");
    uint64_t bytes = itemsize;
    for (const Json& d : sh->array) {
      if (!d.is(Json::Kind::Number)) fail(what + ": shape holds a non-number");
      const int64_t dim = d.as_int();
      if (dim < 0) fail(what + ": negative dimension");
      if (dim > 0 && bytes > UINT64_MAX / (uint64_t)dim) fail(what + ": shape " + write_json(*sh) + " overflows 64 bits");
      bytes *= (uint64_t)dim;
      e.shape.push_back(dim);
    }
    for (const Json& o : off->array)
      if (!o.is(Json::Kind::Number) || o.as_int() < 0) fail(what + ": data_offsets must be non-negative integers");
    e.begin = (uint64_t)off->array[0].as_int();
    e.end = (uint64_t)off->array[1].as_int();
    if (e.begin > e.end || e.end > data_size)
      fail(what + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
           "] lie outside the " + std::to_string(data_size) + "-byte data area");
    if (e.end - e.begin != bytes)
      fail(what + ": shape " + shape_str(e.shape) + " needs " + std::to_string(bytes) + " bytes but data_offsets span " +
           std::to_string(e.end - e.begin));
    entries.push_back(std::move(e));
  }
  // The tensors must tile the data area: sorted by begin, each starts where the last one ended.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const Entry& e : entries) {
    if (e.begin != cursor)
      fail("tensor '" + e.name + "' starts at " + std::to_string(e.begin) + " but the previous data ends at " +
           std::to_string(cursor) + " (overlap or hole)");
    cursor = e.end;
  }
  if (cursor != data_size)
    fail("the tensors cover " + std::to_string(cursor) + " of " + std::to_string(data_size) + " data bytes");
  if (const auto it = out.metadata.find(kDataChecksumKey); it != out.metadata.end()) {
    if (sha256_hex(base, (size_t)data_size) != it->second)
      fail("the tensor data does not match the checksum stored with it (" + std::string(kDataChecksumKey) +
           "): the file is damaged");
    out.checksum_verified = true;
  }

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.bf16 ? DType::F32 : e.dtype);
    const uint8_t* src = base + e.begin;
    const int64_t numel = t.numel();
    if (e.bf16) {
      float* dst = t.data<float>();
      for (int64_t k = 0; k < numel; ++k) {
        const uint32_t bits = (uint32_t)(src[2 * k] | (src[2 * k + 1] << 8)) << 16;
        std::memcpy(&dst[k], &bits, 4);
      }
    } else if (numel > 0) {
      std::memcpy(t.raw_data(), src, (size_t)(e.end - e.begin));
    }
    const int64_t bad = first_non_finite(t);
    if (bad >= 0) fail("tensor '" + e.name + "' holds a NaN or Inf at element " + std::to_string(bad));
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace yp::io
