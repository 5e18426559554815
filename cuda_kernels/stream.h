// stream.h: the stream every kernel launches on, and CUDA Graph capture of a whole forward.
//
// Every entry point in cuda_kernels/ launches on current_stream() (the legacy default stream until
// someone sets another), so a caller can move all work onto one stream and capture it. A batch-1
// YOLOv5n forward is ~100 small kernels whose launch overhead (~3-5 us each) rivals their run time;
// replaying them as one cudaGraphExec removes that overhead.
//
// Usage (the forward must have run once outside the capture, so that conv2d autotuning is done and
// the allocator holds warm blocks):
//   CudaGraph graph;
//   graph.begin_capture();  y = model.forward(x);  graph.end_capture();
//   ... copy new pixels into x's buffer ...;  graph.replay();   // y's buffer holds the new result
//
// While capturing, blocks freed to the caching allocator are kept private to the graph (see
// device_memory.h): the replay writes the same addresses again, so nobody else may own them until
// the graph is destroyed.
#pragma once

#include <cuda_runtime.h>

#include <vector>

namespace yp::cuda {

cudaStream_t current_stream();
void set_current_stream(cudaStream_t stream);
// True while current_stream() is being captured into a graph (no host synchronisation allowed).
bool current_stream_is_capturing();

class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void begin_capture();  // makes the graph's own stream current and starts recording
  void end_capture();    // stops recording, instantiates, restores the previous stream
  void replay();         // after the work queued on current_stream(), launches the whole graph and waits for it
  cudaStream_t stream() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
  cudaStream_t previous_ = nullptr;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  cudaEvent_t inputs_ready_ = nullptr;  // recorded on the caller's stream before each replay
  std::vector<std::pair<void*, size_t>> private_blocks_;  // freed during capture, owned by the graph
};

}  // namespace yp::cuda
