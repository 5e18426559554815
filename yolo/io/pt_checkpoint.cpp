// pt_checkpoint.cpp: from the pickled object tree of a YOLOv5 checkpoint to a state_dict and its
// metadata (pt_checkpoint.h). Every tree access checks the kind it expects; a tree that is not a
// YOLOv5 model ends in a yp::Error naming the file and the path in the tree.
#include "yolo/io/pt_checkpoint.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "tensor/half.h"

namespace yp::io {

namespace {

// Shared or cyclic module graphs (legal in pickle) cannot blow up the walk: it may visit at most
// this many modules + dict entries, and the tensors it copies out may total at most twice the file
// (BF16 widens to F32; an honest checkpoint uses each storage once).
constexpr size_t kMaxWalkSteps = 1 << 22;
constexpr size_t kMaxYamlBytes = 1 << 20;

class CheckpointReader {
 public:
  explicit CheckpointReader(const ZipReader& zip)
      : zip_(zip), label_(zip.label()), byte_budget_(2 * zip.size() + (1 << 20)) {}

  PtCheckpoint read() {
    find_prefix();
    if (const ZipEntry* bo = zip_.find(prefix_ + "byteorder")) {
      const std::string order(reinterpret_cast<const char*>(zip_.data(*bo)), (size_t)bo->size);
      if (order != "little") fail("byteorder '" + order + "' (only little-endian checkpoints are read)");
    }
    const ZipEntry* pkl = zip_.find(prefix_ + "data.pkl");
    const PickleTree tree = unpickle(zip_.data(*pkl), (size_t)pkl->size, label_ + " (data.pkl)");
    const PyValue* root = tree.root();

    PtCheckpoint ck;
    const PyValue* model = root;
    if (root->is(PyKind::Dict)) {
      const PyValue* ema = root->get("ema");
      if (ema && !ema->is(PyKind::None)) {
        model = ema, ck.model_key = "ema";
      } else {
        model = root->get("model"), ck.model_key = "model";
      }
      if (!model || !model->is(PyKind::Object)) fail("checkpoint dict has no model in 'ema' or 'model'");
      if (const PyValue* e = root->get("epoch"); e && e->is(PyKind::Int)) ck.epoch = e->i;
      if (const PyValue* d = root->get("date"); d && d->is(PyKind::Str)) ck.date = d->s;
    } else if (!root->is(PyKind::Object)) {
      fail(std::string("the pickled root is a ") + py_kind_name(root->kind) + ", not a checkpoint dict or a model");
    }
    ck.model_class = model->class_name();
    const PyValue* attrs = module_dict(model, "model");

    walk(model, "", 0, ck.state_dict);
    read_metadata(attrs, ck);
    return ck;
  }

 private:
  const ZipReader& zip_;
  std::string label_, prefix_;
  size_t steps_ = 0;
  mutable size_t byte_budget_;  // bytes of tensor data still allowed to be materialised
  const PyValue* detect_ = nullptr;  // the module that owns the 'anchors' buffer

  [[noreturn]] void fail(const std::string& why) const { throw Error(label_ + ": " + why); }

  void find_prefix() {
    const ZipEntry* found = nullptr;
    for (const ZipEntry& e : zip_.entries()) {
      const std::string& n = e.name;
      if (n == "data.pkl" || (n.size() > 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0)) {
        if (found) fail("two data.pkl entries ('" + found->name + "', '" + n + "')");
        found = &e;
      }
    }
    if (!found) fail("no data.pkl entry: not a PyTorch zip checkpoint");
    prefix_ = found->name.substr(0, found->name.size() - 8);
  }

  void step(const std::string& where) {
    if (++steps_ > kMaxWalkSteps)
      fail("module graph needs more than " + std::to_string(kMaxWalkSteps) + " steps to walk (at '" + where + "')");
  }

  const PyValue* module_dict(const PyValue* module, const std::string& where) const {
    const PyValue* st = module->object_state();
    if (!st || !st->is(PyKind::Dict)) fail("module '" + where + "' (" + module->class_name() + ") has no attribute dict");
    return st;
  }

  // nn.Module.state_dict order: own parameters, own persistent buffers, then children.
  void walk(const PyValue* module, const std::string& prefix, int depth, NamedTensors& out) {
    const std::string where = prefix.empty() ? "<root>" : prefix.substr(0, prefix.size() - 1);
    if (depth > kMaxWalkDepth) fail("modules nested deeper than " + std::to_string(kMaxWalkDepth) + " at '" + where + "'");
    step(where);
    const PyValue* attrs = module_dict(module, where);
    const PyValue* params = attrs->get("_parameters");
    const PyValue* buffers = attrs->get("_buffers");
    const PyValue* skip = attrs->get("_non_persistent_buffers_set");
    const PyValue* children = attrs->get("_modules");
    std::unordered_set<std::string> non_persistent;  // buffers left out of state_dict()
    if (skip && skip->is(PyKind::Set))
      for (const PyValue* s : skip->items) {
        step(where);
        if (s->is(PyKind::Str)) non_persistent.insert(s->s);
      }
    auto add_tensors = [&](const PyValue* d, const char* what, bool is_buffer) {
      if (!d) return;
      if (!d->is(PyKind::Dict)) fail("'" + where + "." + what + "' is not a dict");
      for (size_t k = 0; k + 1 < d->items.size(); k += 2) {
        step(where);
        const PyValue* key = d->items[k];
        const PyValue* t = d->items[k + 1];
        if (!key->is(PyKind::Str)) fail("'" + where + "." + what + "' has a non-string key");
        if (t->is(PyKind::None)) continue;  // e.g. Conv2d bias=False
        if (is_buffer && non_persistent.count(key->s)) continue;
        if (!t->is(PyKind::Tensor)) fail("'" + prefix + key->s + "' is a " + py_kind_name(t->kind) + ", not a tensor");
        out.emplace_back(prefix + key->s, materialize(*t->tensor, prefix + key->s));
        if (is_buffer && key->s == "anchors") detect_ = module;
      }
    };
    add_tensors(params, "_parameters", false);
    add_tensors(buffers, "_buffers", true);
    if (!children) return;
    if (!children->is(PyKind::Dict)) fail("'" + where + "._modules' is not a dict");
    for (size_t k = 0; k + 1 < children->items.size(); k += 2) {
      const PyValue* key = children->items[k];
      const PyValue* child = children->items[k + 1];
      if (!key->is(PyKind::Str)) fail("'" + where + "._modules' has a non-string key");
      if (child->is(PyKind::None)) continue;
      if (!child->is(PyKind::Object)) fail("'" + prefix + key->s + "' is not a module");
      walk(child, prefix + key->s + ".", depth + 1, out);
    }
  }

  // Copies a (sizes, strides, offset) view of a storage entry into a new contiguous tensor.
  Tensor materialize(const TensorInfo& ti, const std::string& name) const {
    const StorageInfo& st = *ti.storage->storage;
    const ZipEntry* e = zip_.find(prefix_ + "data/" + st.key);
    if (!e) fail("tensor '" + name + "': storage entry '" + prefix_ + "data/" + st.key + "' is missing");
    const size_t item = storage_dtype_size(st.dtype);
    if ((uint64_t)st.numel != e->size / item || e->size % item != 0)
      fail("tensor '" + name + "': storage claims " + std::to_string(st.numel) + " " + storage_dtype_name(st.dtype) +
           " elements but its entry holds " + std::to_string(e->size) + " bytes");
    // Highest element index the view touches, computed in 128 bits so lying sizes cannot wrap.
    unsigned __int128 numel = 1, last = (unsigned __int128)ti.offset;
    for (size_t d = 0; d < ti.sizes.size(); ++d) {
      numel *= (uint64_t)ti.sizes[d];
      if (numel > (unsigned __int128)st.numel) break;
      if (ti.sizes[d] > 0) last += (unsigned __int128)(uint64_t)(ti.sizes[d] - 1) * (uint64_t)ti.strides[d];
    }
    if (numel > (unsigned __int128)st.numel)
      fail("tensor '" + name + "': shape " + shape_str(ti.sizes) + " has more elements than its storage (" +
           std::to_string(st.numel) + ")");
    if (numel > 0 && last >= (unsigned __int128)st.numel)
      fail("tensor '" + name + "': shape " + shape_str(ti.sizes) + " with strides " + shape_str(ti.strides) +
           " and offset " + std::to_string(ti.offset) + " reaches past its storage of " + std::to_string(st.numel) +
           " elements");

    const bool is_float = st.dtype == StorageDType::F16 || st.dtype == StorageDType::F32 || st.dtype == StorageDType::F64;
    const DType out_dtype = is_float ? (st.dtype == StorageDType::F16 ? DType::F16
                                        : st.dtype == StorageDType::F64 ? DType::F64 : DType::F32)
                                     : (st.dtype == StorageDType::BF16 ? DType::F32 : DType::F64);
    const int64_t n = (int64_t)numel;
    const size_t out_bytes = (size_t)n * dtype_size(out_dtype);
    if (out_bytes > byte_budget_)
      fail("tensor '" + name + "': the tensors would expand to more than twice the file's size (shared storages)");
    byte_budget_ -= out_bytes;
    Tensor t = Tensor::empty(ti.sizes, out_dtype);
    if (n == 0) return t;
    const uint8_t* src = zip_.data(*e);
    uint8_t* dst = static_cast<uint8_t*>(t.raw_data());
    const size_t out_item = dtype_size(out_dtype);
    std::vector<int64_t> idx(ti.sizes.size(), 0);
    // A dim of size 1 never steps, so its stride (which a file may set to anything) is ignored;
    // every other step stays below `last` < numel(storage), so the arithmetic cannot overflow.
    std::vector<int64_t> step(ti.strides);
    for (size_t d = 0; d < step.size(); ++d)
      if (ti.sizes[d] == 1) step[d] = 0;
    int64_t at = ti.offset;  // element index into the storage for the current position of idx
    for (int64_t k = 0; k < n; ++k) {
      const uint8_t* s = src + (size_t)at * item;
      uint8_t* o = dst + (size_t)k * out_item;
      if (is_float) {
        std::memcpy(o, s, item);  // unaligned-safe; the dtype is unchanged
      } else if (st.dtype == StorageDType::BF16) {
        const uint32_t bits = (uint32_t)(s[0] | (s[1] << 8)) << 16;  // bf16 is the top half of an f32
        std::memcpy(o, &bits, 4);
      } else {
        const double v = integer_as_double(s, st.dtype, name);
        std::memcpy(o, &v, 8);
      }
      for (size_t d = idx.size(); d-- > 0;) {  // odometer over the dims, last fastest
        at += step[d];
        if (++idx[d] < ti.sizes[d]) break;
        at -= step[d] * ti.sizes[d];
        idx[d] = 0;
      }
    }
    check_finite(t, name);
    return t;
  }

  double integer_as_double(const uint8_t* s, StorageDType dt, const std::string& name) const {
    switch (dt) {
      case StorageDType::I64: {
        int64_t x;
        std::memcpy(&x, s, 8);
        if (x > (int64_t(1) << 53) || x < -(int64_t(1) << 53))
          fail("tensor '" + name + "': int64 value " + std::to_string(x) + " is not exact as a double");
        return (double)x;
      }
      case StorageDType::I32: { int32_t x; std::memcpy(&x, s, 4); return x; }
      case StorageDType::I16: { int16_t x; std::memcpy(&x, s, 2); return x; }
      case StorageDType::I8: return (int8_t)s[0];
      default: return s[0];  // U8, Bool
    }
  }

  void check_finite(const Tensor& t, const std::string& name) const {
    const int64_t n = t.numel();
    for (int64_t k = 0; k < n; ++k) {
      bool ok;
      if (t.dtype() == DType::F16) ok = (t.data<uint16_t>()[k] & 0x7C00u) != 0x7C00u;
      else if (t.dtype() == DType::F32) ok = std::isfinite(t.data<float>()[k]);
      else ok = std::isfinite(t.data<double>()[k]);
      if (!ok) fail("tensor '" + name + "' holds a NaN or Inf at element " + std::to_string(k));
    }
  }

  std::vector<float> tensor_values(const PyValue* v, const std::string& name) const {
    if (!v || !v->is(PyKind::Tensor)) return {};
    return materialize(*v->tensor, name).to_vector();
  }

  void read_metadata(const PyValue* attrs, PtCheckpoint& ck) const {
    const PyValue* yaml = attrs->get("yaml");
    if (yaml && yaml->is(PyKind::Dict)) ck.yaml_text = render_yolo_yaml(yaml);
    if (const PyValue* nc = attrs->get("nc"); nc && nc->is(PyKind::Int)) {
      ck.nc = (int)nc->i;
    } else if (const PyValue* ync = yaml ? yaml->get("nc") : nullptr; ync && ync->is(PyKind::Int)) {
      ck.nc = (int)ync->i;
    }
    if (ck.nc < 0 || ck.nc > 1000000) fail("nc = " + std::to_string(ck.nc) + " is not a class count");
    if (const PyValue* names = attrs->get("names")) {
      if (names->is(PyKind::List) || names->is(PyKind::Tuple)) {
        for (const PyValue* s : names->items) {
          if (!s->is(PyKind::Str)) fail("names holds a non-string");
          ck.names.push_back(s->s);
        }
      } else if (names->is(PyKind::Dict)) {  // v7.0: {0: 'person', 1: 'bicycle', ...}
        ck.names.resize(names->dict_size());
        std::vector<bool> set(ck.names.size(), false);
        for (size_t k = 0; k + 1 < names->items.size(); k += 2) {
          const PyValue* key = names->items[k];
          const PyValue* s = names->items[k + 1];
          if (!key->is(PyKind::Int) || key->i < 0 || (size_t)key->i >= ck.names.size() || set[(size_t)key->i] ||
              !s->is(PyKind::Str))
            fail("names dict is not {0: str, 1: str, ...}");
          ck.names[(size_t)key->i] = s->s;
          set[(size_t)key->i] = true;
        }
      }
    }
    if (!ck.names.empty() && (int)ck.names.size() != ck.nc)
      fail("nc = " + std::to_string(ck.nc) + " but " + std::to_string(ck.names.size()) + " class names");
    ck.strides = tensor_values(attrs->get("stride"), "model.stride");
    if (ck.strides.empty() && detect_) ck.strides = tensor_values(detect_->object_state()->get("stride"), "Detect.stride");
    if (detect_) {
      for (const auto& [name, t] : ck.state_dict)
        if (name.size() >= 8 && name.compare(name.size() - 8, 8, ".anchors") == 0) ck.anchors_grid = t.to(DType::F32);
      if (ck.anchors_grid.defined() && ck.anchors_grid.dim() != 3)
        fail("anchors buffer has shape " + shape_str(ck.anchors_grid.shape()) + ", expected [nl, na, 2]");
      if (ck.anchors_grid.defined() && !ck.strides.empty() && ck.anchors_grid.size(0) != (int64_t)ck.strides.size())
        fail("anchors have " + std::to_string(ck.anchors_grid.size(0)) + " levels but there are " +
             std::to_string(ck.strides.size()) + " strides");
    }
  }
};

// --- yaml rendering ---

bool bare_string(const std::string& s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
  for (const char c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_' || c == '.')) return false;
  // YAML would read these as booleans or null rather than strings.
  static const char* reserved[] = {"true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No",
                                   "on", "off", "On", "Off", "null", "Null", "NULL", "y", "n"};
  for (const char* r : reserved)
    if (s == r) return false;
  return true;
}

void render_flow(std::string& out, const PyValue* v, int depth) {
  if (depth > kMaxWalkDepth) throw Error("yaml value nested deeper than " + std::to_string(kMaxWalkDepth));
  // Every call appends at least one character, so this also bounds the time spent on shared subtrees.
  if (out.size() > kMaxYamlBytes) throw Error("embedded yaml renders to more than 1 MiB");
  switch (v->kind) {
    case PyKind::None: out += "null"; break;
    case PyKind::Bool: out += v->i ? "True" : "False"; break;  // as YOLOv5's own yaml files write them
    case PyKind::Int: out += std::to_string(v->i); break;
    case PyKind::Float: {
      if (!std::isfinite(v->f)) { out += std::isnan(v->f) ? ".nan" : (v->f > 0 ? ".inf" : "-.inf"); break; }
      char buf[32];
      for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v->f);
        if (std::strtod(buf, nullptr) == v->f) break;
      }
      out += buf;
      if (!std::strpbrk(buf, ".eEn")) out += ".0";  // keep it a float: 2.0 not 2
      break;
    }
    case PyKind::Str: {
      if (bare_string(v->s)) { out += v->s; break; }
      out += '"';
      for (const char c : v->s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        out += c;
      }
      out += '"';
      break;
    }
    case PyKind::Tuple: case PyKind::List: case PyKind::Set:
      out += '[';
      for (size_t k = 0; k < v->items.size(); ++k) {
        if (k) out += ", ";
        render_flow(out, v->items[k], depth + 1);
      }
      out += ']';
      break;
    case PyKind::Dict:
      out += '{';
      for (size_t k = 0; k + 1 < v->items.size(); k += 2) {
        if (k) out += ", ";
        render_flow(out, v->items[k], depth + 1);
        out += ": ";
        render_flow(out, v->items[k + 1], depth + 1);
      }
      out += '}';
      break;
    default:
      throw Error(std::string("yaml holds a ") + py_kind_name(v->kind) + " value");
  }
}

}  // namespace

std::string render_yolo_yaml(const PyValue* yaml) {
  if (!yaml || !yaml->is(PyKind::Dict)) throw Error("embedded yaml is not a dict");
  std::string out;
  for (size_t k = 0; k + 1 < yaml->items.size(); k += 2) {
    const PyValue* key = yaml->items[k];
    const PyValue* v = yaml->items[k + 1];
    render_flow(out, key, 0);
    out += ':';
    bool block = (v->is(PyKind::List) || v->is(PyKind::Tuple)) && !v->items.empty();
    if (block)
      for (const PyValue* item : v->items) block &= item->is(PyKind::List) || item->is(PyKind::Tuple);
    if (block) {
      out += '\n';
      for (const PyValue* item : v->items) {
        out += "  - ";
        render_flow(out, item, 1);
        out += '\n';
      }
    } else {
      out += ' ';
      render_flow(out, v, 0);
      out += '\n';
    }
  }
  return out;
}

PtCheckpoint read_pt_checkpoint(const ZipReader& zip) { return CheckpointReader(zip).read(); }

PtCheckpoint load_pt_checkpoint(const std::string& path) { return read_pt_checkpoint(ZipReader::open(path)); }

}  // namespace yp::io
