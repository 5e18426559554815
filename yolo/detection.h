// detection.h: one detected object, the output of non_max_suppression (nms.h).
//
// The box is (x1, y1) top-left and (x2, y2) bottom-right corners in pixels, x to the right and y down,
// with (0, 0) the top-left corner of the top-left pixel. Which image the pixels belong to depends on
// the stage: after NMS they are the letterboxed network input; after NetworkInput::to_picture
// (input_pipeline.h) the original picture.
// conf is obj * cls (the score YOLOv5 reports), cls the 0-based class index.
#pragma once

namespace yp::yolo {

struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float conf = 0;
  int cls = 0;
};

}  // namespace yp::yolo
