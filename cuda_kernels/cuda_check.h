// cuda_check.h: the one way CUDA errors are checked. Every runtime call and every launch goes
// through CUDA_CHECK (launches: CUDA_CHECK(cudaGetLastError()) right after <<<...>>>), and a
// failure throws std::runtime_error naming the call, the file and the line.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define CUDA_CHECK(call)                                                                      \
  do {                                                                                        \
    cudaError_t err_ = (call);                                                                \
    if (err_ != cudaSuccess)                                                                  \
      throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(err_) + " (" + \
                               #call + " at " + __FILE__ + ":" + std::to_string(__LINE__) + ")"); \
  } while (0)
