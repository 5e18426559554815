// The CPU GEMM (tensor/cpu/gemm.h) on every instruction set this CPU supports, forced one after the other,
// against the readable chain gemm_reference on fresh random inputs. Each output is specified as one chain
// of fused multiply-adds in k order, so every kernel must give exactly the reference's bits: the shapes
// cover edge tiles in both directions, several k blocks, transposed operands, accumulation and the split
// among threads. conv2d, forward and backward, must then give the same bytes on every path too.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tensor/autograd.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/isa.h"
#include "tensor/ops/conv2d.h"
#include "tensor/parallel.h"
#include "tensor/random.h"

using namespace yp;

namespace {

// Restores the automatic choice after a test that forces a path.
struct IsaGuard {
  CpuIsa saved = cpu_isa();
  ~IsaGuard() { set_cpu_isa(saved); }
};

std::vector<float> random_floats(size_t n, Rng& rng) {
  const Tensor t = randn({(int64_t)n}, rng);
  return std::vector<float>(t.data<float>(), t.data<float>() + n);
}

size_t first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return i;
  return a.size();
}

}  // namespace

TEST(Gemm, EveryInstructionSetGivesTheReferenceBits) {
  IsaGuard guard;
  struct Case {
    int64_t M, N, K;
    bool a_transposed, b_transposed, accumulate, parallel;
  };
  const std::vector<Case> cases = {
      {1, 1, 1, false, false, false, false},      {8, 48, 256, false, false, false, false},
      {13, 50, 7, false, false, false, false},     {32, 1000, 288, false, false, false, true},
      {17, 97, 600, true, false, true, true},      {64, 33, 513, false, true, true, false},
      {255, 130, 129, true, true, false, true},    {3, 2100, 27, false, false, true, true},
      {100, 5, 1030, false, true, false, true},    {48, 300, 0, false, false, false, false}};
  Rng rng(21);
  for (CpuIsa isa : supported_cpu_isas()) {
    set_cpu_isa(isa);
    for (const Case& c : cases) {
      // A is M x K, B is K x N; a transposed operand is stored as its transpose, row-major.
      const std::vector<float> a = random_floats((size_t)(c.M * c.K) + 1, rng), b = random_floats((size_t)(c.K * c.N) + 1, rng);
      const MatrixRef<float> am = c.a_transposed ? MatrixRef<float>{a.data(), 1, c.M} : MatrixRef<float>{a.data(), c.K, 1};
      const MatrixRef<float> bm = c.b_transposed ? MatrixRef<float>{b.data(), 1, c.K} : MatrixRef<float>{b.data(), c.N, 1};
      const int64_t ldc = c.N + 3;  // C rows with a gap, which must stay untouched
      const std::vector<float> c0 = random_floats((size_t)(c.M * ldc), rng);
      std::vector<float> fast = c0, ref = c0;
      gemm(c.M, c.N, c.K, am, bm, fast.data(), ldc, c.accumulate, c.parallel);
      gemm_reference(c.M, c.N, c.K, am, bm, ref.data(), ldc, c.accumulate);
      const size_t at = first_difference(fast, ref);
      EXPECT_EQ(at, fast.size()) << cpu_isa_name(isa) << " (" << gemm_kernel_name() << ") M " << c.M << " N " << c.N
                                 << " K " << c.K << ": first difference at row " << at / ldc << " column " << at % ldc
                                 << ": " << fast[at] << " vs " << ref[at];
    }
  }
}

// The run-time choice: the best supported set unless YP_CPU_ISA caps it, and forcing an unsupported one fails.
TEST(Gemm, DispatchPicksASupportedInstructionSet) {
  const std::vector<CpuIsa> isas = supported_cpu_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), CpuIsa::Generic);
  EXPECT_EQ(isas.back(), best_cpu_isa());
  EXPECT_LE(cpu_isa(), best_cpu_isa());
  IsaGuard guard;
  for (CpuIsa isa : {CpuIsa::Generic, CpuIsa::Avx2, CpuIsa::Avx512}) {
    if (isa <= best_cpu_isa())
      EXPECT_NO_THROW(set_cpu_isa(isa));
    else
      EXPECT_THROW(set_cpu_isa(isa), Error);
  }
  std::printf("this CPU: %s; kernels in use: %s\n", cpu_isa_name(best_cpu_isa()), gemm_kernel_name());
}

// conv2d's output and its three gradients have the same bytes on every instruction set, for each way the
// forward builds its B operand (im2col into packed panels; taps in place from a padded input; a 1x1's rows).
TEST(Gemm, ConvolutionGivesTheSameBytesOnEveryInstructionSet) {
  IsaGuard guard;
  struct Case {
    int64_t C, H, W, K, kernel, stride, pad;
  };
  for (const Case& c : {Case{12, 37, 41, 20, 3, 2, 1}, Case{12, 9, 50, 20, 3, 1, 1}, Case{12, 9, 50, 20, 1, 1, 0}}) {
    Rng rng(5);
    const Tensor x0 = randn({2, c.C, c.H, c.W}, rng), w0 = randn({c.K, c.C, c.kernel, c.kernel}, rng), b0 = randn({c.K}, rng);
    std::vector<float> first;
    for (CpuIsa isa : supported_cpu_isas()) {
      set_cpu_isa(isa);
      Tensor x = x0.clone(), w = w0.clone(), b = b0.clone();
      x.set_requires_grad(true), w.set_requires_grad(true), b.set_requires_grad(true);
      const Tensor y = conv2d(x, w, b, {(int)c.stride, (int)c.pad});
      Rng r(9);
      const std::vector<Tensor> g = y.grad_fn()->backward(randn(y.shape(), r));
      std::vector<float> bytes(y.data<float>(), y.data<float>() + y.numel());
      for (const Tensor& t : g) bytes.insert(bytes.end(), t.data<float>(), t.data<float>() + t.numel());
      if (first.empty()) {
        first = bytes;
        continue;
      }
      EXPECT_EQ(first_difference(bytes, first), bytes.size())
          << cpu_isa_name(isa) << " differs from generic, kernel " << c.kernel << " stride " << c.stride;
    }
  }
}
