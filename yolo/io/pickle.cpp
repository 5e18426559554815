// pickle.cpp: the non-executing pickle VM of pickle.h.
// Opcode semantics follow CPython's Lib/pickle.py (_Unpickler) and pickletools' documentation;
// protocols 2-5 binary opcodes are handled, the protocol-0 text opcodes are refused.
#include "yolo/io/pickle.h"

#include <cstring>
#include <unordered_map>

#include "tensor/tensor.h"
#include "util/text.h"

namespace yp::io {

const char* py_kind_name(PyKind k) {
  static const char* names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple",
                                "list", "dict", "set", "global", "object", "storage", "tensor"};
  return names[static_cast<int>(k)];
}

const char* storage_dtype_name(StorageDType t) {
  static const char* names[] = {"Half", "BFloat16", "Float", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool"};
  return names[static_cast<int>(t)];
}

size_t storage_dtype_size(StorageDType t) {
  static const size_t sizes[] = {2, 2, 4, 8, 8, 4, 2, 1, 1, 1};
  return sizes[static_cast<int>(t)];
}

const PyValue* PyValue::get(const std::string& key) const {
  if (kind != PyKind::Dict) return nullptr;
  for (size_t k = 0; k + 1 < items.size(); k += 2)
    if (items[k]->kind == PyKind::Str && items[k]->s == key) return items[k + 1];
  return nullptr;
}

std::string PyValue::class_name() const {
  if (kind == PyKind::Global) return s + "." + name;
  if (kind == PyKind::Object && items[0]) return items[0]->class_name();
  return "";
}

namespace {

// What a GLOBAL name means to us. Stored in PyValue::i of a Global node.
enum GlobalRole : int64_t {
  kOpaque, kOrderedDict, kSet, kFrozenSet, kRebuildTensorV2, kRebuildTensor, kRebuildParameter,
  kRebuildParameterWithState, kStorageType, kCodecsEncode
};

bool storage_dtype_from_name(const std::string& name, StorageDType* out) {
  static const std::pair<const char*, StorageDType> table[] = {
      {"HalfStorage", StorageDType::F16}, {"BFloat16Storage", StorageDType::BF16},
      {"FloatStorage", StorageDType::F32}, {"DoubleStorage", StorageDType::F64},
      {"LongStorage", StorageDType::I64},  {"IntStorage", StorageDType::I32},
      {"ShortStorage", StorageDType::I16}, {"CharStorage", StorageDType::I8},
      {"ByteStorage", StorageDType::U8},   {"BoolStorage", StorageDType::Bool}};
  for (const auto& [n, t] : table)
    if (name == n) {
      *out = t;
      return true;
    }
  return false;
}


// The allow-list. Returns false for names that must not appear in a checkpoint.
bool classify_global(const std::string& module, const std::string& name, GlobalRole* role) {
  StorageDType dt;
  *role = kOpaque;
  if (module == "collections" && name == "OrderedDict") return *role = kOrderedDict, true;
  if ((module == "__builtin__" || module == "builtins") && name == "set") return *role = kSet, true;
  if ((module == "__builtin__" || module == "builtins") && name == "frozenset") return *role = kFrozenSet, true;
  // Protocol 2 has no bytes opcode for Python 3 bytes: they are written as _codecs.encode(str, 'latin1')
  // (numpy scalars in an unstripped last.pt carry their raw bytes this way). We decode, never call.
  if (module == "_codecs" && name == "encode") return *role = kCodecsEncode, true;
  if (module == "torch._utils") {
    if (name == "_rebuild_tensor_v2") return *role = kRebuildTensorV2, true;
    if (name == "_rebuild_tensor") return *role = kRebuildTensor, true;
    if (name == "_rebuild_parameter") return *role = kRebuildParameter, true;
    if (name == "_rebuild_parameter_with_state") return *role = kRebuildParameterWithState, true;
    return false;
  }
  if (module == "torch") {
    if (storage_dtype_from_name(name, &dt)) return *role = kStorageType, true;
    static const char* plain[] = {"Size", "device", "dtype", "float16", "float32", "float64", "bfloat16",
                                  "int64", "int32", "uint8", "bool", "half", "float", "double", "long"};
    for (const char* p : plain)
      if (name == p) return true;
    return false;
  }
  // Classes of the YOLOv5 code base and of torch.nn: opaque nodes, never instantiated.
  if (starts_with(module, "models.") || starts_with(module, "utils.") || starts_with(module, "ultralytics.") ||
      starts_with(module, "torch.nn.modules."))
    return true;
  if (module == "pathlib" && (name == "PosixPath" || name == "WindowsPath" || name == "PurePosixPath" ||
                              name == "PureWindowsPath" || name == "Path"))
    return true;
  if (module == "argparse" && name == "Namespace") return true;
  if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") &&
      (name == "scalar" || name == "_reconstruct"))
    return true;
  if (module == "numpy" && (name == "dtype" || name == "ndarray")) return true;
  return false;
}

}  // namespace

class PickleMachine {
 public:
  PickleMachine(const uint8_t* data, size_t size, const std::string& label, const PickleLimits& limits)
      : p_(data), size_(size), label_(label), lim_(limits) {}

  PickleTree run() {
    if (size_ > lim_.max_bytes)
      throw Error(label_ + ": pickle of " + std::to_string(size_) + " bytes exceeds the limit of " +
                  std::to_string(lim_.max_bytes));
    while (true) {
      if (pos_ >= size_) fail("stream ends without STOP (truncated)");
      op_pos_ = pos_;
      op_ = p_[pos_++];
      if (op_ == '.') break;
      step();
    }
    if (stack_.empty()) fail("STOP with an empty stack");
    tree_.root_ = stack_.back();
    return std::move(tree_);
  }

 private:
  const uint8_t* p_;
  size_t size_, pos_ = 0, op_pos_ = 0;
  uint8_t op_ = 0;
  const std::string& label_;
  PickleLimits lim_;
  PickleTree tree_;
  std::vector<PyValue*> stack_;
  std::vector<size_t> marks_;
  std::vector<PyValue*> memo_;
  size_t memo_count_ = 0;
  std::unordered_map<std::string, size_t> dict_index_;  // (dict address, key) -> position of the key

  [[noreturn]] void fail(const std::string& why) const {
    char op[8];
    std::snprintf(op, sizeof op, "0x%02x", op_);
    throw Error(label_ + ": corrupt or unsupported pickle at byte " + std::to_string(op_pos_) + " (opcode " + op +
                "): " + why);
  }

  // --- input ---
  const uint8_t* take(size_t n) {
    if (n > size_ - pos_) fail("needs " + std::to_string(n) + " more bytes than the stream holds");
    const uint8_t* q = p_ + pos_;
    pos_ += n;
    return q;
  }
  uint64_t le(size_t n) {
    const uint8_t* q = take(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= (uint64_t)q[k] << (8 * k);
    return v;
  }
  std::string line() {  // GLOBAL's "module\n" and "name\n"
    for (size_t k = pos_; k < size_ && k - pos_ < 512; ++k)
      if (p_[k] == '\n') {
        std::string s(reinterpret_cast<const char*>(p_ + pos_), k - pos_);
        pos_ = k + 1;
        return s;
      }
    fail("GLOBAL name line is unterminated or longer than 512 bytes");
  }

  // --- values ---
  PyValue* make(PyKind k) {
    if (tree_.arena_.size() >= lim_.max_values) fail("more than " + std::to_string(lim_.max_values) + " values");
    tree_.arena_.emplace_back();
    tree_.arena_.back().kind = k;
    return &tree_.arena_.back();
  }
  PyValue* make_int(int64_t v) {
    PyValue* x = make(PyKind::Int);
    x->i = v;
    return x;
  }
  PyValue* make_str(PyKind k, size_t n) {
    const uint8_t* q = take(n);  // bounded by the stream: no allocation beyond what exists
    PyValue* x = make(k);
    x->s.assign(reinterpret_cast<const char*>(q), n);
    return x;
  }

  // --- stack ---
  void push(PyValue* v) {
    if (stack_.size() >= lim_.max_stack) fail("stack deeper than " + std::to_string(lim_.max_stack));
    stack_.push_back(v);
  }
  PyValue* pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pops past the stack bottom or a MARK");
    PyValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyValue* top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("needs a value on the stack");
    return stack_.back();
  }
  std::vector<PyValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyValue*> items(stack_.begin() + (ptrdiff_t)m, stack_.end());
    stack_.resize(m);
    return items;
  }
  void memo_put(uint64_t idx) {
    if (idx >= lim_.max_memo) fail("memo index " + std::to_string(idx) + " exceeds the limit " + std::to_string(lim_.max_memo));
    if (idx >= memo_.size()) memo_.resize((size_t)idx + 1, nullptr);
    if (!memo_[idx]) ++memo_count_;
    memo_[idx] = top();
  }
  PyValue* memo_get(uint64_t idx) {
    if (idx >= memo_.size() || !memo_[idx]) fail("memo index " + std::to_string(idx) + " was never stored");
    return memo_[idx];
  }

  // --- containers ---
  static bool hashable_key(const PyValue* k, std::string* repr) {
    switch (k->kind) {
      case PyKind::Str: *repr = "s" + k->s; return true;
      case PyKind::Int: case PyKind::Bool: *repr = "i" + std::to_string(k->i); return true;
      case PyKind::None: *repr = "n"; return true;
      default: return false;
    }
  }
  void dict_set(PyValue* d, PyValue* k, PyValue* v) {
    if (d->kind != PyKind::Dict) fail(std::string("SETITEM on a ") + py_kind_name(d->kind));
    std::string repr;
    if (hashable_key(k, &repr)) {
      std::string key(reinterpret_cast<const char*>(&d), sizeof d);
      key += repr;
      auto [it, inserted] = dict_index_.emplace(std::move(key), d->items.size());
      if (!inserted) {  // Python semantics: the key keeps its place, the value is replaced
        d->items[it->second + 1] = v;
        return;
      }
    }
    d->items.push_back(k);
    d->items.push_back(v);
  }
  void list_append(PyValue* l, const std::vector<PyValue*>& xs) {
    if (l->kind != PyKind::List && l->kind != PyKind::Set) fail(std::string("APPEND to a ") + py_kind_name(l->kind));
    l->items.insert(l->items.end(), xs.begin(), xs.end());
  }
  PyValue* make_tuple(std::vector<PyValue*> xs) {
    PyValue* t = make(PyKind::Tuple);
    t->items.assign(xs.begin(), xs.end());
    return t;
  }
  PyValue* make_global(const std::string& module, const std::string& name) {
    GlobalRole role;
    if (!classify_global(module, name, &role))
      fail("global '" + module + "." + name +
           "' is not allowed (a checkpoint may only name the classes listed in docs/checkpoints.md; "
           "nothing in the file was executed)");
    PyValue* g = make(PyKind::Global);
    g->s = module;
    g->name = name;
    g->i = role;
    return g;
  }

  // --- the calls that never happen: REDUCE / NEWOBJ build values ---
  int64_t arg_int(const PyValue* a, const char* what) {
    if (a->kind != PyKind::Int) fail(std::string(what) + " must be an int, got " + py_kind_name(a->kind));
    return a->i;
  }
  std::vector<int64_t> int_tuple(const PyValue* a, const char* what) {
    if (a->kind != PyKind::Tuple && a->kind != PyKind::List) fail(std::string(what) + " must be a tuple");
    if (a->items.size() > lim_.max_dims) fail(std::string(what) + " has more than " + std::to_string(lim_.max_dims) + " dims");
    std::vector<int64_t> v;
    for (const PyValue* x : a->items) {
      const int64_t n = arg_int(x, what);
      if (n < 0) fail(std::string(what) + " holds a negative value");
      v.push_back(n);
    }
    return v;
  }
  PyValue* rebuild_tensor(const PyValue* args, bool v2) {
    const size_t n = args->items.size();
    if (v2 ? (n != 6 && n != 7) : n != 4) fail("tensor rebuild takes " + std::string(v2 ? "6 or 7" : "4") + " arguments, got " + std::to_string(n));
    const PyValue* st = args->items[0];
    if (st->kind != PyKind::Storage) fail("tensor rebuild: first argument is not a storage record");
    auto info = std::make_shared<TensorInfo>();
    info->storage = st;
    info->offset = arg_int(args->items[1], "storage_offset");
    if (info->offset < 0) fail("negative storage_offset");
    info->sizes = int_tuple(args->items[2], "size");
    info->strides = int_tuple(args->items[3], "stride");
    if (info->sizes.size() != info->strides.size()) fail("size and stride have different lengths");
    if (v2) info->requires_grad = args->items[4]->kind == PyKind::Bool && args->items[4]->i;
    PyValue* t = make(PyKind::Tensor);
    t->tensor = std::move(info);
    return t;
  }
  PyValue* call(PyValue* fn, PyValue* args) {
    if (fn->kind != PyKind::Global) fail(std::string("REDUCE/NEWOBJ on a ") + py_kind_name(fn->kind) + ", not a class");
    if (args->kind != PyKind::Tuple) fail("REDUCE/NEWOBJ arguments are not a tuple");
    const auto& a = args->items;
    switch (static_cast<GlobalRole>(fn->i)) {
      case kOrderedDict: {
        PyValue* d = make(PyKind::Dict);
        if (a.size() > 1) fail("OrderedDict() takes at most one argument");
        if (a.size() == 1) {
          if (a[0]->kind != PyKind::List && a[0]->kind != PyKind::Tuple) fail("OrderedDict(x): x must be a list of pairs");
          for (const PyValue* kv : a[0]->items) {
            if (kv->kind != PyKind::Tuple || kv->items.size() != 2) fail("OrderedDict(x): an item is not a pair");
            dict_set(d, const_cast<PyValue*>(kv->items[0]), const_cast<PyValue*>(kv->items[1]));
          }
        }
        return d;
      }
      case kSet: case kFrozenSet: {
        PyValue* s = make(PyKind::Set);
        if (a.size() > 1) fail("set() takes at most one argument");
        if (a.size() == 1) {
          if (a[0]->kind != PyKind::List && a[0]->kind != PyKind::Tuple && a[0]->kind != PyKind::Set) fail("set(x): x must be a sequence");
          s->items = a[0]->items;
        }
        return s;
      }
      case kRebuildTensorV2: return rebuild_tensor(args, true);
      case kRebuildTensor: return rebuild_tensor(args, false);
      case kRebuildParameter: case kRebuildParameterWithState:
        if (a.size() < 2 || a[0]->kind != PyKind::Tensor) fail("_rebuild_parameter needs a tensor");
        return const_cast<PyValue*>(a[0]);
      case kStorageType: fail("a storage type cannot be called");
      case kCodecsEncode: return latin1_bytes(a);
      case kOpaque: break;
    }
    PyValue* o = make(PyKind::Object);
    o->items = {fn, args, nullptr};
    return o;
  }
  // _codecs.encode(text, 'latin1'): each code point below 256 becomes one byte.
  PyValue* latin1_bytes(const std::vector<const PyValue*>& a) {
    if (a.size() != 2 || a[0]->kind != PyKind::Str || a[1]->kind != PyKind::Str ||
        (a[1]->s != "latin1" && a[1]->s != "latin-1"))
      fail("_codecs.encode is read only as encode(str, 'latin1')");
    PyValue* b = make(PyKind::Bytes);
    const std::string& u = a[0]->s;
    for (size_t k = 0; k < u.size();) {
      const unsigned char c = (unsigned char)u[k];
      if (c < 0x80) {
        b->s += (char)c, k += 1;
      } else if ((c & 0xE0) == 0xC0 && k + 1 < u.size() && c <= 0xC3) {
        b->s += (char)(((c & 0x1F) << 6) | ((unsigned char)u[k + 1] & 0x3F)), k += 2;
      } else {
        fail("_codecs.encode: text is not latin-1");
      }
    }
    return b;
  }
  PyValue* persistent_load(const PyValue* pid) {
    // PyTorch's record: ('storage', torch.<X>Storage, key:str, location:str, numel:int)
    if (pid->kind != PyKind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != PyKind::Str ||
        pid->items[0]->s != "storage")
      fail("persistent id is not a ('storage', type, key, location, numel) record");
    const PyValue* type = pid->items[1];
    auto info = std::make_shared<StorageInfo>();
    if (type->kind != PyKind::Global || type->i != kStorageType || !storage_dtype_from_name(type->name, &info->dtype))
      fail("persistent id names no known storage type");
    if (pid->items[2]->kind != PyKind::Str || pid->items[3]->kind != PyKind::Str) fail("storage key/location are not strings");
    info->key = pid->items[2]->s;
    info->location = pid->items[3]->s;
    info->numel = arg_int(pid->items[4], "storage numel");
    if (info->numel < 0) fail("negative storage numel");
    PyValue* s = make(PyKind::Storage);
    s->storage = std::move(info);
    return s;
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const uint8_t v = *take(1);
        if (v < 2 || v > 5) fail("pickle protocol " + std::to_string(v) + " (2..5 are read)");
        break;
      }
      case 0x95: {  // FRAME: a length hint only
        const uint64_t n = le(8);
        if (n > size_ - pos_) fail("frame longer than the stream");
        break;
      }
      case '(': if (marks_.size() >= lim_.max_marks) fail("MARKs nested deeper than " + std::to_string(lim_.max_marks));
        marks_.push_back(stack_.size()); break;
      case '0': pop(); break;                                  // POP
      case '1': pop_mark(); break;                             // POP_MARK
      case '2': push(top()); break;                            // DUP
      case 'N': push(make(PyKind::None)); break;
      case 0x88: case 0x89: { PyValue* b = make(PyKind::Bool); b->i = op_ == 0x88; push(b); break; }
      case 'J': push(make_int((int32_t)(uint32_t)le(4))); break;  // BININT
      case 'K': push(make_int((int64_t)le(1))); break;            // BININT1
      case 'M': push(make_int((int64_t)le(2))); break;            // BININT2
      case 0x8a: case 0x8b: {                                     // LONG1 / LONG4
        const uint64_t n = op_ == 0x8a ? le(1) : le(4);
        if (n > 8) fail("integer wider than 64 bits");
        const uint8_t* q = take((size_t)n);
        uint64_t v = 0;
        for (size_t k = 0; k < n; ++k) v |= (uint64_t)q[k] << (8 * k);
        if (n > 0 && n < 8 && (q[n - 1] & 0x80)) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(make_int((int64_t)v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        const uint8_t* q = take(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = (bits << 8) | q[k];
        PyValue* x = make(PyKind::Float);
        std::memcpy(&x->f, &bits, 8);
        push(x);
        break;
      }
      case 'X': push(make_str(PyKind::Str, (size_t)le(4))); break;      // BINUNICODE
      case 0x8c: push(make_str(PyKind::Str, (size_t)le(1))); break;     // SHORT_BINUNICODE
      case 0x8d: { const uint64_t n = le(8); if (n > size_) fail("string longer than the stream"); push(make_str(PyKind::Str, (size_t)n)); break; }
      case 'U': push(make_str(PyKind::Str, (size_t)le(1))); break;      // SHORT_BINSTRING (py2 str)
      case 'T': { const int32_t n = (int32_t)(uint32_t)le(4); if (n < 0) fail("negative string length"); push(make_str(PyKind::Str, (size_t)n)); break; }
      case 'C': push(make_str(PyKind::Bytes, (size_t)le(1))); break;    // SHORT_BINBYTES
      case 'B': push(make_str(PyKind::Bytes, (size_t)le(4))); break;    // BINBYTES
      case 0x8e: { const uint64_t n = le(8); if (n > size_) fail("bytes longer than the stream"); push(make_str(PyKind::Bytes, (size_t)n)); break; }
      case ')': push(make(PyKind::Tuple)); break;                       // EMPTY_TUPLE
      case 't': push(make_tuple(pop_mark())); break;                    // TUPLE
      case 0x85: case 0x86: case 0x87: {                                // TUPLE1..3
        const size_t n = op_ - 0x84u;
        std::vector<PyValue*> xs(n);
        for (size_t k = n; k-- > 0;) xs[k] = pop();
        push(make_tuple(std::move(xs)));
        break;
      }
      case ']': push(make(PyKind::List)); break;                        // EMPTY_LIST
      case 'l': { PyValue* l = make(PyKind::List); const auto xs = pop_mark(); l->items.assign(xs.begin(), xs.end()); push(l); break; }
      case 'a': { PyValue* x = pop(); list_append(top(), {x}); break; }  // APPEND
      case 'e': { const auto xs = pop_mark(); list_append(top(), xs); break; }  // APPENDS
      case '}': push(make(PyKind::Dict)); break;                        // EMPTY_DICT
      case 'd': {                                                       // DICT
        const auto xs = pop_mark();
        if (xs.size() % 2) fail("DICT with an odd number of items");
        PyValue* d = make(PyKind::Dict);
        for (size_t k = 0; k < xs.size(); k += 2) dict_set(d, xs[k], xs[k + 1]);
        push(d);
        break;
      }
      case 's': { PyValue* v = pop(); PyValue* k = pop(); dict_set(top(), k, v); break; }  // SETITEM
      case 'u': {                                                       // SETITEMS
        const auto xs = pop_mark();
        if (xs.size() % 2) fail("SETITEMS with an odd number of items");
        PyValue* d = top();
        for (size_t k = 0; k < xs.size(); k += 2) dict_set(d, xs[k], xs[k + 1]);
        break;
      }
      case 0x8f: push(make(PyKind::Set)); break;                        // EMPTY_SET
      case 0x90: { const auto xs = pop_mark(); PyValue* s = top(); if (s->kind != PyKind::Set) fail("ADDITEMS to a non-set"); list_append(s, xs); break; }
      case 0x91: { PyValue* s = make(PyKind::Set); const auto xs = pop_mark(); s->items.assign(xs.begin(), xs.end()); push(s); break; }  // FROZENSET
      case 'c': { const std::string module = line(); const std::string name = line(); push(make_global(module, name)); break; }
      case 0x93: {                                                      // STACK_GLOBAL
        PyValue* name = pop();
        PyValue* module = pop();
        if (module->kind != PyKind::Str || name->kind != PyKind::Str) fail("STACK_GLOBAL needs two strings");
        push(make_global(module->s, name->s));
        break;
      }
      case 'R': { PyValue* args = pop(); PyValue* fn = pop(); push(call(fn, args)); break; }   // REDUCE
      case 0x81: { PyValue* args = pop(); PyValue* cls = pop(); push(call(cls, args)); break; } // NEWOBJ
      case 0x92: {                                                      // NEWOBJ_EX
        PyValue* kwargs = pop();
        PyValue* args = pop();
        PyValue* cls = pop();
        if (kwargs->kind != PyKind::Dict || kwargs->dict_size() != 0) fail("NEWOBJ_EX with keyword arguments");
        push(call(cls, args));
        break;
      }
      case 'b': {                                                       // BUILD
        PyValue* state = pop();
        PyValue* obj = top();
        if (state->kind == PyKind::None) break;
        if (obj->kind != PyKind::Object) fail(std::string("BUILD on a ") + py_kind_name(obj->kind));
        PyValue* old = const_cast<PyValue*>(obj->items[2]);
        if (old && old->kind == PyKind::Dict && state->kind == PyKind::Dict) {
          for (size_t k = 0; k + 1 < state->items.size(); k += 2)
            dict_set(old, const_cast<PyValue*>(state->items[k]), const_cast<PyValue*>(state->items[k + 1]));
        } else {
          obj->items[2] = state;
        }
        break;
      }
      case 'Q': push(persistent_load(pop())); break;                    // BINPERSID
      case 'q': memo_put(le(1)); break;                                 // BINPUT
      case 'r': memo_put(le(4)); break;                                 // LONG_BINPUT
      case 0x94: memo_put(memo_count_); break;                          // MEMOIZE
      case 'h': push(memo_get(le(1))); break;                           // BINGET
      case 'j': push(memo_get(le(4))); break;                           // LONG_BINGET
      default:
        fail("opcode not supported (protocol-0 text opcodes, INST/OBJ, extension registry and "
             "out-of-band buffers are refused)");
    }
  }
};

PickleTree unpickle(const uint8_t* data, size_t size, const std::string& label, const PickleLimits& limits) {
  return PickleMachine(data, size, label, limits).run();
}

}  // namespace yp::io
