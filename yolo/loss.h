// loss.h: the YOLOv5 v7.0 training loss (utils/loss.py ComputeLoss), as one coarse op.
//
// Inputs, per detection level l (P3/8, P4/16, P5/32):
//   pred[l]    (N, na, H, W, 5 + nc) raw logits: tx, ty, tw, th, obj, cls...   (Detect, permuted)
//   anchors[l] (na, 2) anchor sizes in GRID units of that level (pixels / stride)
//   targets    rows (image, class, cx, cy, w, h), box normalised to [0, 1] of the input image
//
// Target assignment (build_targets): a target is matched to anchor a of level l when
//   max(r, 1/r) < anchor_t (4.0) for both r = w/aw and r = h/ah (no IoU matching);
// then to its own cell and to the two neighbouring cells nearest its centre (x and y offsets of
// 0.5: left if frac(gx) < 0.5 and gx > 1, right if frac(W - gx) < 0.5 and W - gx > 1, same in y).
//
// Per positive, the box is decoded as  pxy = 2 sigmoid(txy) - 0.5,  pwh = (2 sigmoid(twh))^2 * anchor
// and compared with the target (centre offset in the cell, wh in grid units) by CIoU:
//   CIoU = IoU - rho^2/c^2 - alpha v,  v = 4/pi^2 (atan(w_t/h_t) - atan(w_p/h_p))^2,
//   alpha = v / (v - IoU + 1 + eps)  (a constant for the gradient, as under torch.no_grad)
//   lbox  = sum_l mean_pos (1 - CIoU)
//   lobj  = sum_l balance_l * BCE_mean(obj logits of all cells, tobj),
//           tobj = clamp(CIoU, 0) at positives (detached; a later positive in a cell overwrites)
//   lcls  = sum_l BCE_mean(class logits of positives, one-hot with label smoothing)   [nc > 1 only]
//   loss  = (box_gain lbox + obj_gain lobj + cls_gain lcls) * N
// Gains after train.py scaling: box 0.05*3/nl, cls 0.5*nc/80*3/nl, obj 1.0*(imgsz/640)^2*3/nl.
//
// Masks (optional, LossMasks; docs/training.md "Hard negatives and ignore regions"): circles in the input image
// where the objectness target is not "background, weight 1":
//   ignore        a cell whose centre lies in one gets objectness weight 0 (no loss either way), unless it is a positive
//   hard negative a cell whose centre lies in one gets background weight `hard_negative` (x2 by default), and an
//                 assignment there is dropped when its cell centre is nearer the hard negative than its own target
//   image weight  every term of image b (box, objectness, class) is multiplied by image_weight[b]
// With no masks (or an empty LossMasks) the loss is exactly the plain one above.
//
// Forward and backward are computed together: the gradient w.r.t. every logit is formed in the
// same pass (the CIoU derivative by forward-mode dual numbers, see loss.cpp), saved, and scaled
// by the incoming gradient in backward. Derivation: docs/loss.md.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace yp::yolo {

struct LossConfig {
  int nc = 80;
  int image_size = 640;  // for the objectness gain (imgsz/640)^2
  double box = 0.05;     // hyp gains before the nl/nc/imgsz scaling
  double obj = 1.0;
  double cls = 0.5;
  double anchor_t = 4.0;
  double label_smoothing = 0.0;
  std::vector<double> balance = {4.0, 1.0, 0.4};
  // YOLOv5 computes CIoU's alpha under no_grad (false). true also differentiates through alpha,
  // making the gradient that of the forward formula, which finite-difference checks compare against.
  bool ciou_alpha_grad = false;
  // Background (objectness) BCE weight of cells at a hard negative (LossMasks); why 2: docs/training.md.
  double hard_negative = 2.0;

  // The gains as train.py scales them for nl levels.
  double box_gain(int nl) const { return box * 3.0 / nl; }
  double cls_gain(int nl) const { return cls * nc / 80.0 * 3.0 / nl; }
  double obj_gain(int nl) const { return obj * (image_size / 640.0) * (image_size / 640.0) * 3.0 / nl; }
};

struct Target {
  int image;
  int cls;
  double cx, cy, w, h;  // normalised [0, 1]
};

// A masked region: a circle in the input image of batch image `image`, centre and radius normalised to the input's
// width and height (training inputs are square, so the circle is one in pixels too).
enum class MaskKind { Ignore, HardNegative };
struct MaskRegion {
  int image = 0;
  MaskKind kind = MaskKind::Ignore;
  double cx = 0, cy = 0, r = 0;
};
struct LossMasks {
  std::vector<MaskRegion> regions;
  std::vector<double> image_weight;  // one per image of the batch, or empty (all 1)
  bool empty() const { return regions.empty() && image_weight.empty(); }
};

struct LossResult {
  Tensor total;                   // shape (), differentiable w.r.t. every pred[l]
  double lbox = 0, lobj = 0, lcls = 0;  // the gained components (YOLOv5 logs these), before * N
  int64_t positives = 0;          // target-anchor-cell assignments over all levels
};

LossResult yolo_loss(const std::vector<Tensor>& pred, const std::vector<Tensor>& anchors,
                     const std::vector<Target>& targets, const LossConfig& config, const LossMasks& masks = {});

// The Detect head's raw output per level, (N, na * no, H, W) as Model::forward_raw gives it, in the layout above:
// (N, na, H, W, no) (YOLOv5's Detect.forward: view(bs, na, no, ny, nx).permute(0, 1, 3, 4, 2)), on the host,
// where yolo_loss runs. Differentiable: from a network on the GPU the permute runs there and the result is
// copied to the host (tensor/ops/to_device.h); in backward the gradient goes back the same way.
std::vector<Tensor> loss_layout(const std::vector<Tensor>& raw, int num_anchors);

// One assignment of a target to (level, image, anchor, cell), for tests and plots.
struct Assignment {
  int level, image, anchor, gj, gi, cls;
  double tx, ty, tw, th;  // target box: centre offset from the cell corner, wh in grid units
  int target = -1;        // index into the targets
};
std::vector<Assignment> build_targets(const std::vector<Shape>& pred_shapes, const std::vector<Tensor>& anchors,
                                      const std::vector<Target>& targets, double anchor_t);

// build_targets without the assignments a hard negative claims (see "Masks" above).
std::vector<Assignment> drop_hard_negative_assignments(const std::vector<Assignment>& assigned,
                                                       const std::vector<Shape>& pred_shapes,
                                                       const std::vector<Target>& targets,
                                                       const std::vector<MaskRegion>& regions);

// CIoU of two xywh boxes (YOLOv5 bbox_iou with CIoU=True, eps 1e-7).
double ciou(double px, double py, double pw, double ph, double tx, double ty, double tw, double th);

}  // namespace yp::yolo
