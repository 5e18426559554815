// bce_with_logits.h: binary cross-entropy on logits z with targets t (same shape), mean over all
// elements: PyTorch's BCEWithLogitsLoss(reduction='mean', pos_weight=p) with a scalar p, which is
// how YOLOv5 uses it (cls_pw, obj_pw; 1.0 in every stock hyperparameter file).
//   l_i = -[p t log s(z) + (1 - t) log(1 - s(z))],  s = sigmoid
//       = (1 - t) z + w softplus(-z),   w = 1 + (p - 1) t,   softplus(-z) = max(-z, 0) + log(1 + e^-|z|)
//   (stable form: no exp of a positive number; p = 1 gives max(z, 0) - z t + log(1 + e^-|z|))
//   loss = (1/n) sum_i l_i
//   dloss/dz_i = [(1 - t) - w s(-z)] / n      (p = 1: (s(z) - t) / n)
//   dloss/dt_i = [-z + (p - 1) softplus(-z)] / n
// Targets may be soft (YOLOv5's objectness target is the IoU) and may require a gradient.
// An empty input is an error (the mean of nothing is undefined). float32 and float64, summed in
// double; CUDA tensors are float32 (cuda_kernels/bce_with_logits.h, pos_weight rounded to float).
#pragma once

#include "tensor/tensor.h"

namespace yp {

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets, double pos_weight = 1.0);

}  // namespace yp
