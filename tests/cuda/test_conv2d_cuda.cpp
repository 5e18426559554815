// test_conv2d_cuda.cpp: every forward variant of cuda_kernels/conv2d.h (and the fused conv + SiLU,
// and the engine's per-shape choice) against conv_reference.h on fresh random inputs, with the
// tolerance of its precision. Outputs are poisoned before every run.
#include <cmath>

#include "cuda_kernels/conv2d.h"
#include "cuda_kernels/elementwise.h"
#include "tests/cuda/conv_edge_shapes.h"
#include "tests/cuda/conv_reference.h"
#include "tests/cuda/cuda_test_support.h"

namespace yp::test {
namespace {

using cuda::Conv2dShape;
using ForwardFn = void (*)(const float*, const float*, const float*, float*, const Conv2dShape&);

// Host-side checks of the shape arithmetic: these run with or without a GPU.
TEST(CudaConv2dShape, OutputSizeAndName) {
  const Conv2dShape s = Conv2dShape::make(1, 3, 640, 640, 16, 6, 6, 2, 2);
  EXPECT_EQ(s.p, 320);
  EXPECT_EQ(s.q, 320);
  EXPECT_EQ(s.gemm_k(), 3 * 36);
  EXPECT_DOUBLE_EQ(s.flops(), 2.0 * 16 * 320 * 320 * 108);
  EXPECT_EQ(s.str(), "N1 C3 H640 W640 K16 R6 S6 s2 p2");
}

struct Case {
  Conv2dShape shape;
  std::vector<float> x, w, b;
  std::vector<double> ref;
};

Case make_case(const Conv2dShape& s, unsigned seed) {
  Case c{s, random_floats((size_t)s.x_numel(), seed), random_floats((size_t)s.w_numel(), seed + 1),
         random_floats((size_t)s.k, seed + 2), {}};
  c.ref = conv2d_reference(c.x, c.w, &c.b, s);
  return c;
}

void check_variant(ForwardFn fn, double tol, const char* name, const std::vector<Conv2dShape>& shapes) {
  unsigned seed = 100;
  for (const Conv2dShape& s : shapes) {
    const Case c = make_case(s, seed += 10);
    DeviceArray<float> x(c.x), w(c.w), b(c.b), y((size_t)s.y_numel());
    y.poison();
    fn(x.get(), w.get(), b.get(), y.get(), s);
    EXPECT_TRUE(close_to_ref(y.download(), c.ref, tol)) << name << " on " << s.str();
    // Without bias (YOLOv5's Conv has none before BN).
    const std::vector<double> ref_nobias = conv2d_reference(c.x, c.w, nullptr, s);
    y.poison();
    fn(x.get(), w.get(), nullptr, y.get(), s);
    EXPECT_TRUE(close_to_ref(y.download(), ref_nobias, tol)) << name << " without bias on " << s.str();
  }
}

TEST(CudaConv2d, Kernel1Direct) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel1, kTolFP32, "kernel1", conv_test_shapes());
}
TEST(CudaConv2d, Kernel2Im2colNaive) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel2, kTolFP32, "kernel2", conv_test_shapes());
}
TEST(CudaConv2d, Kernel3Im2colTiled) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel3, kTolFP32, "kernel3", conv_test_shapes());
}
TEST(CudaConv2d, Kernel4Im2colRegister) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel4, kTolFP32, "kernel4", conv_test_shapes());
}
TEST(CudaConv2d, Kernel5Implicit) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel5, kTolFP32, "kernel5", conv_test_shapes());
}
TEST(CudaConv2d, Kernel6TensorCoreTF32) {
  YP_REQUIRE_CUDA();
  check_variant(cuda::conv2d_forward_kernel6_tf32, kTolTF32, "kernel6_tf32", conv_test_shapes());
}

// FP16 / BF16 inputs: converted on the device, compared with the FP32-input reference (so the
// tolerance covers the input rounding as well as the accumulation).
template <typename Half, typename Convert, typename Run>
void check_half_variant(Convert convert, Run run, const char* name, const std::vector<Conv2dShape>& shapes) {
  unsigned seed = 900;
  for (const Conv2dShape& s : shapes) {
    const Case c = make_case(s, seed += 10);
    DeviceArray<float> x32(c.x), w32(c.w), b(c.b), y((size_t)s.y_numel());
    DeviceArray<Half> x16(c.x.size()), w16(c.w.size());
    convert(x32.get(), x16.get(), (int64_t)c.x.size());
    convert(w32.get(), w16.get(), (int64_t)c.w.size());
    y.poison();
    run(x16.get(), w16.get(), b.get(), y.get(), s);
    EXPECT_TRUE(close_to_ref(y.download(), c.ref, kTolHalf)) << name << " on " << s.str();
  }
}

TEST(CudaConv2d, Kernel6TensorCoreFP16) {
  YP_REQUIRE_CUDA();
  check_half_variant<__half>(cuda::convert_f32_to_f16, cuda::conv2d_forward_kernel6_f16, "kernel6_f16",
                            conv_test_shapes());
}
TEST(CudaConv2d, Kernel6TensorCoreBF16) {
  YP_REQUIRE_CUDA();
  check_half_variant<__nv_bfloat16>(cuda::convert_f32_to_bf16, cuda::conv2d_forward_kernel6_bf16, "kernel6_bf16",
                                    conv_test_shapes());
}

void check_fused_silu(const std::vector<Conv2dShape>& shapes) {
  unsigned seed = 500;
  for (const Conv2dShape& s : shapes) {
    Case c = make_case(s, seed += 10);
    for (double& v : c.ref) v = v / (1.0 + std::exp(-v));
    DeviceArray<float> x(c.x), w(c.w), b(c.b), y((size_t)s.y_numel());
    y.poison();
    cuda::conv2d_bias_silu_forward(x.get(), w.get(), b.get(), y.get(), s);
    EXPECT_TRUE(close_to_ref(y.download(), c.ref, kTolFP32)) << "fused SiLU on " << s.str();
  }
}

TEST(CudaConv2d, FusedBiasSiLU) {
  YP_REQUIRE_CUDA();
  check_fused_silu(conv_test_shapes());
}

// Every variant on the shapes that stress the tiles' ragged edges (conv_edge_shapes.h).
TEST(CudaConv2d, EveryVariantOnRaggedEdges) {
  YP_REQUIRE_CUDA();
  const std::vector<Conv2dShape> shapes = conv_edge_shapes();
  check_variant(cuda::conv2d_forward_kernel1, kTolFP32, "kernel1", shapes);
  check_variant(cuda::conv2d_forward_kernel2, kTolFP32, "kernel2", shapes);
  check_variant(cuda::conv2d_forward_kernel3, kTolFP32, "kernel3", shapes);
  check_variant(cuda::conv2d_forward_kernel4, kTolFP32, "kernel4", shapes);
  check_variant(cuda::conv2d_forward_kernel5, kTolFP32, "kernel5", shapes);
  check_variant(cuda::conv2d_forward_kernel6_tf32, kTolTF32, "kernel6_tf32", shapes);
  check_half_variant<__half>(cuda::convert_f32_to_f16, cuda::conv2d_forward_kernel6_f16, "kernel6_f16", shapes);
  check_half_variant<__nv_bfloat16>(cuda::convert_f32_to_bf16, cuda::conv2d_forward_kernel6_bf16, "kernel6_bf16",
                                    shapes);
  check_fused_silu(shapes);
}

TEST(CudaConv2d, EngineChoiceIsTimedOnceAndCorrect) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(2, 24, 13, 13, 40, 3, 3, 1, 1);
  const Case c = make_case(s, 77);
  DeviceArray<float> x(c.x), w(c.w), b(c.b), y((size_t)s.y_numel());
  for (int run = 0; run < 2; ++run) {  // run 0 times the candidates, run 1 uses the remembered winner
    y.poison();
    cuda::conv2d_forward(x.get(), w.get(), b.get(), y.get(), s);
    EXPECT_TRUE(close_to_ref(y.download(), c.ref, kTolFP32)) << "run " << run;
    const int v = cuda::conv2d_chosen_variant(s);
    EXPECT_TRUE(v == 3 || v == 4 || v == 5) << "chosen variant " << v;
  }
  y.poison();
  cuda::conv2d_forward(x.get(), w.get(), b.get(), y.get(), s, cuda::Conv2dMath::TF32);
  EXPECT_TRUE(close_to_ref(y.download(), c.ref, kTolTF32)) << "TF32";
}

TEST(CudaConv2d, EmptyBatchWritesNothing) {
  YP_REQUIRE_CUDA();
  const Conv2dShape s = Conv2dShape::make(0, 3, 8, 8, 4, 3, 3, 1, 1);
  for (ForwardFn fn : {cuda::conv2d_forward_kernel1, cuda::conv2d_forward_kernel2, cuda::conv2d_forward_kernel3,
                       cuda::conv2d_forward_kernel4, cuda::conv2d_forward_kernel5, cuda::conv2d_forward_kernel6_tf32})
    EXPECT_NO_THROW(fn(nullptr, nullptr, nullptr, nullptr, s));
  cuda::synchronize();
}

}  // namespace
}  // namespace yp::test
