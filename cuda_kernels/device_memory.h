// device_memory.h: device discovery and the caching device allocator.
//
// cudaMalloc/cudaFree synchronise the device and cost tens of microseconds, far more than a small
// kernel, so freed blocks go to a free list keyed by rounded size and are handed out again
// (the idea of PyTorch's CUDACachingAllocator, without streams or block splitting). Sizes are
// rounded up to 512 bytes below 1 MiB and to 2 MiB above, so nearby sizes share blocks.
// YOLOPICK_CUDA_NO_CACHE=1 turns the cache off (exact-size cudaMalloc/cudaFree per block), so that
// compute-sanitizer's memcheck sees every block's true extent (scripts/gpu_check.sh sets it).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace yp::cuda {

// Usable devices; 0 (with the runtime's message in `reason`) on any error.
int device_count(std::string* reason);
std::string device_name(int index);

bool caching_enabled();  // false under YOLOPICK_CUDA_NO_CACHE
void* caching_malloc(size_t bytes);
void caching_free(void* ptr, size_t bytes);
// Returns every cached block to the driver (e.g. before measuring peak memory).
void release_cached_memory();

// Between begin_private_pool() and end_private_pool() (used by CudaGraph capture), freed blocks
// are not handed out again; end_private_pool returns them (pointer, requested bytes) to the caller,
// who gives them back with caching_free once nothing replays into them.
void begin_private_pool();
std::vector<std::pair<void*, size_t>> end_private_pool();

struct AllocatorStats {
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t cuda_malloc_calls = 0;
  size_t cache_hits = 0;
};
AllocatorStats allocator_stats();

// Both run on current_stream() (stream.h); a copy that touches host memory waits for it.
void memcpy_any(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes);
void memset_zero(void* ptr, size_t bytes);
void synchronize();

}  // namespace yp::cuda
