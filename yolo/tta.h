// tta.h: test-time augmentation - the network run on the dihedral copies of one network input (flips, and quarter
// turns when the input is square), each copy's boxes (after its own NMS) mapped back to the input, and the lists
// fused by weighted boxes fusion. `pick --tta` (picker/pipeline/pick.h); gain and cost: docs/picking.md, "Test-time
// augmentation".
//
// Why fusion and not one more NMS: NMS keeps one of a particle's 8 boxes and throws the others away; weighted boxes
// fusion (Solovyev, Wang & Gabruseva 2021, "Weighted boxes fusion: ensembling boxes from different object detection
// models") averages them, weighted by confidence, so the centre is the consensus of the 8 views, and scores the
// fused box by how many views found it: mean confidence x min(views, T) / T. A blob one view calls a particle at 0.5
// and the 7 others do not reaches 0.06; a particle all 8 find keeps its mean confidence.
#pragma once

#include <vector>

#include "tensor/tensor.h"
#include "yolo/detection.h"
#include "yolo/detector.h"
#include "yolo/nms.h"

namespace yp::yolo {

// One view: transpose (a quarter turn's mirror, square inputs only) first, then the flips.
struct TtaView {
  bool transpose = false, flip_x = false, flip_y = false;
};

// The views of an h x w input: the 8 of the square's symmetry group, or the 4 flips of a rectangle.
std::vector<TtaView> tta_views(int64_t height, int64_t width);

// The view of a (N, C, H, W) input (pixels moved, values unchanged).
Tensor view_input(const Tensor& input, const TtaView& view);

// A box found in the view, back in the coordinates of the h x w input the view was made from (edge coordinates).
Detection undo_view(const Detection& d, const TtaView& view, int64_t height, int64_t width);

// Weighted boxes fusion of `lists` (one per view, each NMS'd): boxes in descending confidence join the first
// cluster whose fused box overlaps them by IoU > iou_thres (same class unless `agnostic`; an agnostic cluster takes
// its best box's class); a cluster's box is the confidence-weighted mean of its members' corners, its confidence
// mean x min(members, views) / views with views = lists.size(). Fused boxes below `floor` are dropped; best first,
// at most max_det.
std::vector<Detection> weighted_boxes_fusion(const std::vector<std::vector<Detection>>& lists, double iou_thres,
                                             bool agnostic, float floor, int max_det);

constexpr double kWbfIou = 0.55;  // the WBF paper's default: two views of one particle overlap far more than that

// One (1, C, H, W) network input: forward and NMS (nms) per view, back to the input, fused. `capped` accumulates
// what each view's NMS caps cut.
std::vector<Detection> detect_tta(const ForwardFn& forward, const Tensor& input, const NmsOptions& nms,
                                  NmsCapped* capped = nullptr);

}  // namespace yp::yolo
