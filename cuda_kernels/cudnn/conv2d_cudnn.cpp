// conv2d_cudnn.cpp: see conv2d_cudnn.h. Host code only (cuDNN launches its own kernels).
#include "cuda_kernels/cudnn/conv2d_cudnn.h"

#include <cudnn.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

#define CUDNN_CHECK(call)                                                                              \
  do {                                                                                                 \
    cudnnStatus_t st_ = (call);                                                                        \
    if (st_ != CUDNN_STATUS_SUCCESS)                                                                   \
      throw std::runtime_error(std::string("cuDNN error: ") + cudnnGetErrorString(st_) + " (" + #call + \
                               " at " + __FILE__ + ":" + std::to_string(__LINE__) + ")");              \
  } while (0)

namespace yp::cuda::cudnn {

namespace {

enum class Direction { Forward, BackwardData, BackwardFilter };

cudnnHandle_t handle() {
  thread_local cudnnHandle_t h = [] {
    cudnnHandle_t created = nullptr;
    CUDNN_CHECK(cudnnCreate(&created));
    return created;
  }();
  CUDNN_CHECK(cudnnSetStream(h, current_stream()));
  return h;
}

// The four descriptors of one convolution, destroyed with the object.
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  Descriptors(const Conv2dShape& s, Conv2dMath math) {
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.c, s.h, s.w));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.k, s.p, s.q));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, s.k, 1, 1));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.k, s.c, s.r, s.s));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, s.pad, s.pad, s.stride, s.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionMathType(conv, math == Conv2dMath::TF32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~Descriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(bias);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

struct Choice {
  int algo = -1;  // -1: none found
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;  // the math type the algorithm was found with, set before running it
};

// The first successful entry of cuDNN's ranked list (Find: fastest first; Get: heuristic order).
template <typename Perf>
Choice first_success(const Perf* perf, int returned) {
  for (int i = 0; i < returned; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS) return {(int)perf[i].algo, perf[i].memory, perf[i].mathType};
  return {};
}

std::mutex g_mutex;
std::map<std::tuple<std::string, int, int>, Choice>& choices() {
  static auto* m = new std::map<std::tuple<std::string, int, int>, Choice>();
  return *m;
}

// Picks (and remembers) the algorithm for one direction. Find runs every algorithm on scratch
// memory it allocates itself; it synchronises, so it is skipped while a graph is being captured.
Choice choose(Direction dir, const Descriptors& d, const Conv2dShape& s, Conv2dMath math) {
  const auto key = std::make_tuple(s.str(), (int)dir, (int)math);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = choices().find(key);
    if (it != choices().end()) return it->second;
  }
  const bool timed = !current_stream_is_capturing();
  constexpr int kMaxAlgos = 16;
  int returned = 0;
  Choice c;
  cudnnHandle_t h = handle();
  if (dir == Direction::Forward) {
    cudnnConvolutionFwdAlgoPerf_t perf[kMaxAlgos];
    if (timed) CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h, d.x, d.w, d.conv, d.y, kMaxAlgos, &returned, perf));
    else CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, kMaxAlgos, &returned, perf));
    c = first_success(perf, returned);
  } else if (dir == Direction::BackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kMaxAlgos];
    if (timed)
      CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(h, d.w, d.y, d.conv, d.x, kMaxAlgos, &returned, perf));
    else
      CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, kMaxAlgos, &returned, perf));
    c = first_success(perf, returned);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kMaxAlgos];
    if (timed)
      CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(h, d.x, d.y, d.conv, d.w, kMaxAlgos, &returned, perf));
    else
      CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, kMaxAlgos, &returned, perf));
    c = first_success(perf, returned);
  }
  if (c.algo < 0)
    throw std::runtime_error(std::string("cuDNN found no working convolution algorithm for ") + s.str() + " (" +
                             (dir == Direction::Forward ? "forward" : dir == Direction::BackwardData ? "dgrad" : "wgrad") +
                             ", " + (math == Conv2dMath::TF32 ? "TF32" : "FMA") + ")");
  std::lock_guard<std::mutex> lock(g_mutex);
  choices()[key] = c;
  return c;
}

// Workspace from the caching allocator for the duration of one call.
struct Workspace {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit Workspace(size_t b) : ptr(b ? caching_malloc(b) : nullptr), bytes(b) {}
  ~Workspace() { caching_free(ptr, bytes); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
};

}  // namespace

const char* math_name(Conv2dMath math) { return math == Conv2dMath::TF32 ? "TF32" : "FMA"; }

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const Conv2dShape& s, Conv2dMath math) {
  if (s.y_numel() == 0) return;
  Descriptors d(s, math);
  const Choice c = choose(Direction::Forward, d, s, math);
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, c.math));
  Workspace ws(c.workspace);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionForward(handle(), &one, d.x, x, d.w, w, d.conv, (cudnnConvolutionFwdAlgo_t)c.algo, ws.ptr,
                                      ws.bytes, &zero, d.y, y));
  if (b) CUDNN_CHECK(cudnnAddTensor(handle(), &one, d.bias, b, &one, d.y, y));
}

void conv2d_backward_data(const float* dy, const float* w, float* dx, const Conv2dShape& s, Conv2dMath math) {
  if (s.x_numel() == 0) return;
  Descriptors d(s, math);
  const Choice c = choose(Direction::BackwardData, d, s, math);
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, c.math));
  Workspace ws(c.workspace);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionBackwardData(handle(), &one, d.w, w, d.y, dy, d.conv,
                                           (cudnnConvolutionBwdDataAlgo_t)c.algo, ws.ptr, ws.bytes, &zero, d.x, dx));
}

void conv2d_backward_weight(const float* x, const float* dy, float* dw, const Conv2dShape& s, Conv2dMath math) {
  if (s.w_numel() == 0) return;
  Descriptors d(s, math);
  const Choice c = choose(Direction::BackwardFilter, d, s, math);
  CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, c.math));
  Workspace ws(c.workspace);
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(), &one, d.x, x, d.y, dy, d.conv,
                                             (cudnnConvolutionBwdFilterAlgo_t)c.algo, ws.ptr, ws.bytes, &zero, d.w, dw));
}

}  // namespace yp::cuda::cudnn
