// device.cpp: CPU memory (64-byte aligned, for AVX-512 loads) and the bridge to cuda_kernels/.
#include "tensor/device.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#if YOLOPICK_WITH_CUDA
#include "cuda_kernels/device_memory.h"
#endif

namespace yp {

namespace {

constexpr size_t kCpuAlignment = 64;

// A cache of large CPU blocks. A network allocates and frees the same activation sizes on every
// forward; glibc hands blocks this large straight back to the kernel (mmap/munmap), so each
// forward page-faulted every activation in again (measured: a 32 MB concat cost 20 ms instead of
// 2.4 ms). Freed blocks of 1 MiB and more are kept by exact rounded size, up to 1 GiB in total.
constexpr size_t kCacheMinBytes = size_t(1) << 20;
constexpr size_t kCacheRounding = size_t(64) << 10;
constexpr size_t kCacheCapBytes = size_t(1) << 30;

struct CpuBlockCache {
  std::mutex mutex;
  std::multimap<size_t, void*> blocks;
  size_t cached_bytes = 0;
};

CpuBlockCache& cpu_cache() {
  static CpuBlockCache* cache = new CpuBlockCache();  // never destroyed: tensors may die during static teardown
  return *cache;
}

size_t cpu_block_size(size_t bytes) {
  const size_t r = bytes >= kCacheMinBytes ? kCacheRounding : kCpuAlignment;
  return bytes == 0 ? kCpuAlignment : (bytes + r - 1) / r * r;
}

}  // namespace

bool built_with_cuda() { return YOLOPICK_WITH_CUDA != 0; }
bool built_with_cudnn() { return YOLOPICK_WITH_CUDNN != 0; }

int cuda_device_count(std::string* reason) {
#if YOLOPICK_WITH_CUDA
  return cuda::device_count(reason);
#else
  if (reason) *reason = "built without CUDA (-DYOLOPICK_CUDA=OFF or no nvcc at configure time)";
  return 0;
#endif
}

std::string cuda_device_name(int index) {
#if YOLOPICK_WITH_CUDA
  return cuda::device_name(index);
#else
  (void)index;
  return "";
#endif
}

void require_cuda(const char* what) {
  std::string reason;
  if (cuda_device_count(&reason) == 0)
    throw Error(std::string(what) + ": no CUDA device (" + reason + ")");
}

void* device_alloc(size_t bytes, Device device) {
  if (device == Device::CPU) {
    const size_t size = cpu_block_size(bytes);
    if (size >= kCacheMinBytes) {
      CpuBlockCache& c = cpu_cache();
      std::lock_guard<std::mutex> lock(c.mutex);
      auto it = c.blocks.find(size);
      if (it != c.blocks.end()) {
        void* p = it->second;
        c.blocks.erase(it);
        c.cached_bytes -= size;
        return p;
      }
    }
    void* p = std::aligned_alloc(kCpuAlignment, size);
    if (!p) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }
  require_cuda("allocating device memory");
#if YOLOPICK_WITH_CUDA
  return cuda::caching_malloc(bytes);
#else
  return nullptr;
#endif
}

void device_free(void* ptr, size_t bytes, Device device) {
  if (!ptr) return;
  if (device == Device::CPU) {
    const size_t size = cpu_block_size(bytes);
    if (size >= kCacheMinBytes) {
      CpuBlockCache& c = cpu_cache();
      std::lock_guard<std::mutex> lock(c.mutex);
      if (c.cached_bytes + size <= kCacheCapBytes) {
        c.blocks.emplace(size, ptr);
        c.cached_bytes += size;
        return;
      }
    }
    std::free(ptr);
    return;
  }
#if YOLOPICK_WITH_CUDA
  cuda::caching_free(ptr, bytes);
#else
  (void)bytes;
#endif
}

void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::CPU && src_device == Device::CPU) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if YOLOPICK_WITH_CUDA
  cuda::memcpy_any(dst, dst_device == Device::CUDA, src, src_device == Device::CUDA, bytes);
#else
  throw Error("device copy: built without CUDA");
#endif
}

void device_zero(void* ptr, size_t bytes, Device device) {
  if (bytes == 0) return;
  if (device == Device::CPU) {
    std::memset(ptr, 0, bytes);
    return;
  }
#if YOLOPICK_WITH_CUDA
  cuda::memset_zero(ptr, bytes);
#endif
}

}  // namespace yp
