// fuzz_pickle.cpp: libFuzzer target for the non-executing pickle VM (yolo/io/pickle.h) and the yaml
// renderer that walks its trees (yolo/io/pt_checkpoint.h). Any byte string must end in a tree or a
// yp::Error; the limits are lowered so a run explores the limit paths instead of filling memory.
// fuzz-libs: yp_yolo
#include <cstddef>
#include <cstdint>

#include "yolo/io/pickle.h"
#include "yolo/io/pt_checkpoint.h"

using namespace yp::io;

namespace {
// Touches reachable nodes, bounded in depth and in total steps (shared subtrees repeat).
size_t visit(const PyValue* v, int depth, size_t& budget) {
  if (!v || depth > kMaxWalkDepth || budget == 0) return 0;
  --budget;
  size_t n = 1 + v->class_name().size();
  if (v->is(PyKind::Tensor)) n += v->tensor->sizes.size() + (size_t)v->tensor->storage->storage->numel % 7;
  if (depth < 8)
    for (const PyValue* c : v->items) n += visit(c, depth + 1, budget);
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  PickleLimits lim;
  lim.max_memo = 1 << 16;
  lim.max_values = 1 << 18;
  lim.max_stack = 1 << 16;
  try {
    const PickleTree t = unpickle(data, size, "fuzz.pkl", lim);
    if (!t.root()) __builtin_trap();
    size_t budget = 100000;
    visit(t.root(), 0, budget);
    if (t.root()->is(PyKind::Dict)) {
      try {
        render_yolo_yaml(t.root());
      } catch (const yp::Error&) {
      }
    }
  } catch (const yp::Error&) {
  }
  return 0;
}
