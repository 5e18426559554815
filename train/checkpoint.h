// checkpoint.h: the training-state file (last.ckpt) - everything a killed run needs to go on
// exactly: model parameters and buffers, the EMA copy, optimizer buffers, any gradient accumulated since the
// last optimizer step, and scalar state (epoch, batch, iteration counters, early stopping, seed) as text.
//
// Layout (little-endian):
//   "YPCKPT01"                       8-byte magic
//   u64 meta_bytes, meta             "key = value\n" lines
//   u64 n_tensors, then per tensor:  u32 name_bytes, name, u32 dtype (0 = f32, 1 = f64), u32 ndim,
//                                    i64 dims[ndim], raw data (numel * itemsize)
// The reader checks every length against the bytes left in the file before allocating, so a truncated or
// hostile file is a one-line error, never a huge allocation. Written with util/atomic_file.h: a crash
// while saving leaves the previous file intact.
#pragma once

#include <map>
#include <string>

#include "train/ema.h"

namespace yp::train {

struct Checkpoint {
  std::map<std::string, std::string> meta;
  NamedTensors tensors;

  const Tensor* find(const std::string& name) const;
  // meta access with a clear error naming the file when a key is missing or malformed
  std::string get(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  std::string source;  // file it was read from (for messages)
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::string& path);

// Doubles as text that reads back to the same bits (%.17g).
std::string exact_double(double v);

}  // namespace yp::train
