// bce_with_logits.h: binary cross-entropy on logits, mean over all elements (PyTorch's
// BCEWithLogitsLoss with reduction='mean').
//   l = max(z, 0) - z*t + log(1 + exp(-|z|))     (stable form of -[t log s(z) + (1-t) log(1-s(z))])
//   dl/dz = (sigmoid(z) - t) / numel,  dl/dt = -z / numel
// pos_weight (optional, shape = last dim or scalar) is YOLOv5's cls_pw/obj_pw; 1.0 by default.
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets, double pos_weight = 1.0);

}  // namespace yp
