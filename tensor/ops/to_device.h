// to_device.h: a copy of x on another device that gradients flow through (Tensor::to(Device) is not
// recorded by autograd: it moves data, e.g. a model's weights).
//   y = x on `device`,   dx = dy copied back to x's device
// The YOLOv5 loss is a host op (yolo/loss.h): a network on the GPU hands it its outputs through this
// copy, and the loss's gradient goes back to the GPU the same way. On x's own device it returns x itself.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor to_device(const Tensor& x, Device device);

}  // namespace yp
