// box.h: an axis-aligned box by its corners and the one IoU of the project.
//
//   IoU(a, b) = inter / (area_a + area_b - inter + eps),   inter = max(0, overlap in x) * max(0, overlap in y)
//
// Used in float32 with eps = 0 by NMS (yolo/nms.h: torchvision.ops.nms's arithmetic, so the kept boxes match it
// bit for bit), in double with eps = 1e-7 by the detection metrics (train/metrics.h: YOLOv5's box_iou), and in
// double with eps = 0 by pick matching and the cross-tile merge (picker/coords.h). A union of zero (two empty
// boxes) gives 0 rather than 0/0. (The loss's CIoU, yolo/loss.cpp, is another quantity: IoU minus centre and
// aspect penalties, differentiated by dual numbers.)
#pragma once

#include <algorithm>

namespace yp {

// (x1, y1) the top-left corner, (x2, y2) the bottom-right one, in pixels (x right, y down).
template <class T>
struct Box {
  T x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

template <class T>
T box_iou(const Box<T>& a, const Box<T>& b, T eps = T(0)) {
  const T area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  const T w = std::max(T(0), std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const T h = std::max(T(0), std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const T inter = w * h;
  const T uni = area_a + area_b - inter + eps;
  return uni > 0 ? inter / uni : T(0);
}

}  // namespace yp
