// random.h: a seeded, platform-independent random source.
//
// std::normal_distribution and friends are implementation-defined (libstdc++ and libc++ give other
// numbers for the same seed), so the engine draws from its own generator: SplitMix64 to expand the
// seed, xoshiro256** for the stream, and Box-Muller for normals. Same seed -> same bits, anywhere.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace yp {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next_u64();
  double uniform();                        // [0, 1)
  double uniform(double lo, double hi);    // [lo, hi)
  double normal();                         // N(0, 1)
  int64_t randint(int64_t lo, int64_t hi); // [lo, hi)

  // The full state, so a resumed training run continues the exact stream.
  struct State {
    uint64_t s[4];
  };
  State state() const { return {{s_[0], s_[1], s_[2], s_[3]}}; }
  void set_state(const State& st) {
    for (int i = 0; i < 4; ++i) s_[i] = st.s[i];
  }

 private:
  uint64_t s_[4];
};

// Tensors filled from `rng` on the CPU (then moved to `device`).
Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::F32, Device device = Device::CPU);
Tensor rand_uniform(const Shape& shape, double lo, double hi, Rng& rng, DType dtype = DType::F32,
                    Device device = Device::CPU);

}  // namespace yp
