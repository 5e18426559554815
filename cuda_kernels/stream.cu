// stream.cu: see stream.h.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace stream_detail {
thread_local cudaStream_t g_current_stream = nullptr;  // nullptr = the legacy default stream
}  // namespace stream_detail
using namespace stream_detail;

cudaStream_t current_stream() { return g_current_stream; }
void set_current_stream(cudaStream_t stream) { g_current_stream = stream; }

bool current_stream_is_capturing() {
  if (g_current_stream == nullptr) return false;  // the legacy stream cannot be captured
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(g_current_stream, &status));
  return status == cudaStreamCaptureStatusActive;
}

CudaGraph::CudaGraph() {
  // Non-blocking: the captured stream must not synchronise implicitly with the legacy stream.
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  CUDA_CHECK(cudaEventCreateWithFlags(&inputs_ready_, cudaEventDisableTiming));
}

CudaGraph::~CudaGraph() {
  // Nothing may still run in the graph's blocks when they go back to the cache.
  if (stream_) cudaStreamSynchronize(stream_);
  if (exec_) cudaGraphExecDestroy(exec_);
  if (graph_) cudaGraphDestroy(graph_);
  if (inputs_ready_) cudaEventDestroy(inputs_ready_);
  if (stream_) cudaStreamDestroy(stream_);
  for (auto& block : private_blocks_) caching_free(block.first, block.second);
}

void CudaGraph::begin_capture() {
  CUDA_CHECK(cudaDeviceSynchronize());  // earlier work on other streams must not leak into the graph
  previous_ = current_stream();
  set_current_stream(stream_);
  begin_private_pool();
  // Relaxed: a cache miss may still call cudaMalloc while recording (it is not a stream operation).
  CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
}

void CudaGraph::end_capture() {
  const cudaError_t err = cudaStreamEndCapture(stream_, &graph_);
  set_current_stream(previous_);
  std::vector<std::pair<void*, size_t>> freed = end_private_pool();
  private_blocks_.insert(private_blocks_.end(), freed.begin(), freed.end());
  CUDA_CHECK(err);
  CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
}

void CudaGraph::replay() {
  if (!exec_) throw std::runtime_error("CudaGraph::replay: nothing was captured");
  // The graph's stream is non-blocking, so it would not wait for the caller's stream on its own: the new
  // inputs may have been written there by a kernel or an asynchronous copy that has not finished.
  CUDA_CHECK(cudaEventRecord(inputs_ready_, current_stream()));
  CUDA_CHECK(cudaStreamWaitEvent(stream_, inputs_ready_, 0));
  CUDA_CHECK(cudaGraphLaunch(exec_, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace yp::cuda
