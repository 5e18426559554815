// to_device.cpp: see to_device.h. Both directions are one device_copy (tensor/device.h); a copy that
// touches host memory waits for the stream, so the host never reads a buffer the GPU is still writing.
#include "tensor/ops/to_device.h"

#include "tensor/autograd.h"

namespace yp {

Tensor to_device(const Tensor& x, Device device) {
  YP_CHECK(x.defined(), "to_device: the input is undefined");
  if (x.device() == device) return x;
  const Device source = x.device();
  return record("to_device", x.to(device), {x},
                [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
}

}  // namespace yp
