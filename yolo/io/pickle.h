// pickle.h: a pickle reader that never executes anything (see docs/checkpoints.md, "The pickle VM").
//
// Python's pickle is a small stack machine whose GLOBAL + REDUCE opcodes call any importable
// function; loading an untrusted .pt with pickle.load is running its author's code. This VM reads
// the same opcodes but builds a tree of PyValue nodes instead of calling anything:
//   * GLOBAL / STACK_GLOBAL resolve a name against an allow-list (pickle.cpp, classify_global):
//       - a few names get their meaning: collections.OrderedDict -> Dict, set/frozenset -> Set,
//         torch._utils._rebuild_tensor_v2 / _rebuild_parameter -> Tensor, torch.<X>Storage -> storage type;
//       - classes in the namespaces YOLOv5 checkpoints use (models.*, utils.*, torch.nn.modules.*,
//         pathlib, argparse.Namespace, numpy scalars, ...) become opaque Global nodes;
//       - every other name (os.system, builtins.eval, subprocess.*, ...) is an error
//         "global 'os.system' is not allowed" before anything else happens.
//   * REDUCE / NEWOBJ / BUILD on an opaque class make an Object node {class, args, state}.
//   * BINPERSID accepts only PyTorch's storage record ('storage', type, key, location, numel).
//   * hard limits (PickleLimits) on input size, memo entries, values, stack/mark depth and lengths.
// Values live in an arena owned by PickleTree, so shared objects (the memo) and even cycles are
// plain pointers; code that walks a tree must bound its own recursion (kMaxWalkDepth).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"  // yp::Error, thrown on every bad input

namespace yp::io {

enum class PyKind { None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Set, Global, Object, Storage, Tensor };
const char* py_kind_name(PyKind k);

// Storage element types a checkpoint may name (torch.<X>Storage).
enum class StorageDType { F16, BF16, F32, F64, I64, I32, I16, I8, U8, Bool };
const char* storage_dtype_name(StorageDType t);
size_t storage_dtype_size(StorageDType t);

struct PyValue;

struct StorageInfo {
  StorageDType dtype = StorageDType::F32;
  std::string key;       // the zip entry is <prefix>data/<key>
  std::string location;  // 'cpu', 'cuda:0', ...
  int64_t numel = 0;     // elements the storage claims to hold
};

struct TensorInfo {
  const PyValue* storage = nullptr;  // kind Storage
  int64_t offset = 0;                // in elements
  std::vector<int64_t> sizes, strides;
  bool requires_grad = false;
};

struct PyValue {
  PyKind kind = PyKind::None;
  int64_t i = 0;       // Bool (0/1), Int
  double f = 0.0;      // Float
  std::string s;       // Str, Bytes; Global: module
  std::string name;    // Global: qualified name inside the module
  // Tuple/List/Set: the items. Dict: keys and values alternating (k0, v0, k1, v1, ...), in order.
  // Object: {class (Global), args (Tuple or nullptr), state (or nullptr)}.
  std::vector<const PyValue*> items;
  std::shared_ptr<const StorageInfo> storage;  // Storage
  std::shared_ptr<const TensorInfo> tensor;    // Tensor

  bool is(PyKind k) const { return kind == k; }
  size_t dict_size() const { return items.size() / 2; }
  // Dict lookup by string key (nullptr when absent or not a Dict).
  const PyValue* get(const std::string& key) const;
  // Object accessors.
  const PyValue* object_class() const { return kind == PyKind::Object ? items[0] : nullptr; }
  const PyValue* object_state() const { return kind == PyKind::Object ? items[2] : nullptr; }
  // "module.name" for a Global, or for an Object its class; "" otherwise.
  std::string class_name() const;
};

// Walkers of a PickleTree refuse to recurse deeper than this (shared or cyclic nodes are legal).
constexpr int kMaxWalkDepth = 200;

struct PickleLimits {
  size_t max_bytes = size_t(256) << 20;  // the pickle stream itself
  size_t max_memo = size_t(1) << 20;     // highest memo index + 1
  size_t max_values = size_t(4) << 20;   // nodes created
  size_t max_stack = size_t(1) << 20;    // operand stack entries
  size_t max_marks = 1000;               // open MARKs: the nesting depth of MARK ... TUPLE/LIST/DICT
  size_t max_dims = 16;                  // tensor rank
};

class PickleTree {
 public:
  const PyValue* root() const { return root_; }
  size_t value_count() const { return arena_.size(); }

 private:
  friend class PickleMachine;
  std::deque<PyValue> arena_;  // deque: stable addresses while growing
  const PyValue* root_ = nullptr;
};

// Runs the stream; throws yp::Error naming `label`, the opcode and its byte offset on any problem.
PickleTree unpickle(const uint8_t* data, size_t size, const std::string& label, const PickleLimits& limits = {});

}  // namespace yp::io
