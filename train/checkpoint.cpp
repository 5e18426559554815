// checkpoint.cpp: the training-state container (checkpoint.h).
#include "train/checkpoint.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"

namespace yp::train {

namespace {
constexpr char kMagic[8] = {'Y', 'P', 'C', 'K', 'P', 'T', '0', '1'};

template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

struct Reader {
  const std::string& bytes;
  const std::string& path;
  size_t pos = 0;
  void need(uint64_t n, const char* what) const {
    if (n > bytes.size() - pos) throw Error(path + ": truncated checkpoint (reading " + what + ")");
  }
  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string str(uint64_t n, const char* what) {
    need(n, what);
    std::string s = bytes.substr(pos, n);
    pos += n;
    return s;
  }
};
}  // namespace

std::string exact_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const Tensor* Checkpoint::find(const std::string& name) const {
  for (const auto& kv : tensors)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

std::string Checkpoint::get(const std::string& key) const {
  const auto it = meta.find(key);
  if (it == meta.end()) throw Error(source + ": checkpoint has no '" + key + "'");
  return it->second;
}

int64_t Checkpoint::get_int(const std::string& key) const {
  const std::string v = get(key);
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end) throw Error(source + ": checkpoint '" + key + "' is not an integer: '" + v + "'");
  return x;
}

double Checkpoint::get_double(const std::string& key) const {
  const std::string v = get(key);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end) throw Error(source + ": checkpoint '" + key + "' is not a number: '" + v + "'");
  return x;
}

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  std::string out(kMagic, 8);
  std::string meta;
  for (const auto& [k, v] : ckpt.meta) {
    YP_CHECK(k.find('\n') == std::string::npos && v.find('\n') == std::string::npos, "checkpoint meta must be one line");
    meta += k + " = " + v + "\n";
  }
  put<uint64_t>(out, meta.size());
  out += meta;
  put<uint64_t>(out, ckpt.tensors.size());
  for (const auto& [name, t0] : ckpt.tensors) {
    const Tensor t = t0.device() == Device::CPU ? t0 : t0.to(Device::CPU);
    YP_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, "checkpoint: '" + name + "' must be f32 or f64");
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    put<uint32_t>(out, t.dtype() == DType::F32 ? 0u : 1u);
    put<uint32_t>(out, static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.shape()) put<int64_t>(out, d);
    out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  }
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  write_file_atomic(path, out);
}

Checkpoint load_checkpoint(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open the checkpoint");
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) throw Error(path + ": not a yolopick training checkpoint");
  Reader r{bytes, path, 8};
  Checkpoint c;
  c.source = path;
  const std::string meta = r.str(r.get<uint64_t>("meta size"), "meta");
  std::istringstream ms(meta);
  for (std::string line; std::getline(ms, line);) {
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) throw Error(path + ": malformed meta line '" + line + "'");
    c.meta[line.substr(0, eq)] = line.substr(eq + 3);
  }
  const uint64_t n = r.get<uint64_t>("tensor count");
  if (n > bytes.size()) throw Error(path + ": absurd tensor count");
  for (uint64_t i = 0; i < n; ++i) {
    const std::string name = r.str(r.get<uint32_t>("name size"), "name");
    const uint32_t dtype = r.get<uint32_t>("dtype");
    if (dtype > 1) throw Error(path + ": '" + name + "' has unknown dtype " + std::to_string(dtype));
    const uint32_t ndim = r.get<uint32_t>("ndim");
    if (ndim > 8) throw Error(path + ": '" + name + "' has " + std::to_string(ndim) + " dimensions");
    Shape shape;
    uint64_t numel = 1;
    for (uint32_t d = 0; d < ndim; ++d) {
      const int64_t v = r.get<int64_t>("dims");
      if (v < 0 || (v > 0 && numel > bytes.size() / static_cast<uint64_t>(v))) throw Error(path + ": '" + name + "' has a bad shape");
      numel *= static_cast<uint64_t>(v);
      shape.push_back(v);
    }
    const uint64_t nbytes = numel * (dtype == 0 ? 4 : 8);
    r.need(nbytes, "tensor data");
    Tensor t = Tensor::empty(shape, dtype == 0 ? DType::F32 : DType::F64);
    std::memcpy(t.raw_data(), bytes.data() + r.pos, nbytes);
    r.pos += nbytes;
    c.tensors.emplace_back(name, t);
  }
  return c;
}

}  // namespace yp::train
