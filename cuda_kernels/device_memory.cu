// device_memory.cu: see device_memory.h.
#include "cuda_kernels/cuda_check.h"
#include "cuda_kernels/device_memory.h"
#include "cuda_kernels/stream.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace yp::cuda {

// Named, not anonymous: nvcc names an anonymous namespace after the file's absolute path, which
// would make the object depend on the build folder (docs/reproducibility.md).
namespace device_memory_detail {

constexpr size_t kSmallRounding = 512;
constexpr size_t kLargeRounding = 2u << 20;
constexpr size_t kLargeThreshold = 1u << 20;

size_t round_size(size_t bytes) {
  const size_t r = bytes < kLargeThreshold ? kSmallRounding : kLargeRounding;
  return bytes == 0 ? r : (bytes + r - 1) / r * r;
}

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  AllocatorStats stats;
  bool private_pool = false;                           // a graph capture is recording
  std::vector<std::pair<void*, size_t>> private_freed;  // blocks freed while it records
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: blocks may be freed during static teardown
  return *c;
}

// YOLOPICK_CUDA_NO_CACHE=1: every block is its own cudaMalloc of exactly the requested size, freed
// at once. compute-sanitizer's memcheck knows only cudaMalloc's extents, so with the cache (sizes
// rounded up, blocks reused) an overrun into the rounding or into a recycled block goes unseen.
bool no_cache() {
  static const bool on = [] {
    const char* v = std::getenv("YOLOPICK_CUDA_NO_CACHE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

}  // namespace device_memory_detail
using namespace device_memory_detail;

bool caching_enabled() { return !no_cache(); }

int device_count(std::string* reason) {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    if (reason) *reason = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  if (n == 0 && reason) *reason = "cudaGetDeviceCount returned 0 devices";
  return n;
}

std::string device_name(int index) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) return "";
  return prop.name;
}

void* caching_malloc(size_t bytes) {
  const size_t size = no_cache() ? (bytes ? bytes : 1) : round_size(bytes);
  Cache& c = cache();
  if (!no_cache()) {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end()) {
      void* p = it->second;
      c.free_blocks.erase(it);
      c.stats.cache_hits++;
      c.stats.bytes_cached -= size;
      c.stats.bytes_in_use += size;
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {  // out of memory: give the cache back and try once more
    cudaGetLastError();
    release_cached_memory();
    err = cudaMalloc(&p, size);
  }
  CUDA_CHECK(err);
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.cuda_malloc_calls++;
  c.stats.bytes_in_use += size;
  return p;
}

void caching_free(void* ptr, size_t bytes) {
  if (!ptr) return;
  const size_t size = no_cache() ? (bytes ? bytes : 1) : round_size(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (c.private_pool) {  // still in use by the graph being recorded: keep it out of circulation
    c.private_freed.emplace_back(ptr, bytes);
    return;
  }
  if (no_cache()) {  // cudaFree waits for the work that may still use the block. Not checked: this runs in
    cudaFree(ptr);   // destructors, and an error would resurface at the next checked call anyway.
    c.stats.bytes_in_use -= size;
    return;
  }
  c.free_blocks.emplace(size, ptr);
  c.stats.bytes_in_use -= size;
  c.stats.bytes_cached += size;
}

void release_cached_memory() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& kv : c.free_blocks) cudaFree(kv.second);
  c.free_blocks.clear();
  c.stats.bytes_cached = 0;
}

void begin_private_pool() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.private_pool = true;
}

std::vector<std::pair<void*, size_t>> end_private_pool() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.private_pool = false;
  std::vector<std::pair<void*, size_t>> blocks;
  blocks.swap(c.private_freed);
  return blocks;
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void memcpy_any(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes) {
  const cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                            : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, current_stream()));
  if (!dst_on_device || !src_on_device) CUDA_CHECK(cudaStreamSynchronize(current_stream()));
}

void memset_zero(void* ptr, size_t bytes) { CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, current_stream())); }

void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace yp::cuda
