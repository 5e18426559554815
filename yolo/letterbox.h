// letterbox.h: YOLOv5's letterbox (utils/augmentations.py letterbox, v7.0) - resize an image keeping its
// aspect ratio, then pad it with grey 114 to the network's input shape. Geometry: docs/inference.md. The
// geometry serves both rules of the input pipeline (input_pipeline.h); the 8-bit resize and padding below are
// its rule "yolov5".
//
// Layout: images are 8-bit, interleaved HWC (row-major, `channels` values per pixel, RGB for colour),
// as an image reader returns them. The letterbox works on 8-bit pixels because YOLOv5 does: OpenCV resizes
// the uint8 image and rounds to uint8 before the /255, and the golden input tensor was made that way.
// hwc_to_chw_tensor then gives the network input (1, C, H, W) float32 in [0, 1].
//
// Geometry, for a source w x h and a target shape W x H (stride s, 32 for YOLOv5):
//   r = min(H / h, W / w)            (min(r, 1) without scaleup)
//   resized = (round(w r), round(h r))   (Python round: half to even)
//   pad = (W, H) - resized;  auto: pad mod s (the smallest stride multiple that holds the image);
//                             scale_fill: no pad, resized = (W, H) with separate x and y gains
//   left = round(pad_x/2 - 0.1), right = round(pad_x/2 + 0.1)   (the odd pixel goes right / bottom)
//   top  = round(pad_y/2 - 0.1), bottom = round(pad_y/2 + 0.1)
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace yp::yolo {

struct LetterboxOptions {
  int target_width = 640;
  int target_height = 640;
  bool auto_min_rect = true;  // detect.py with a PyTorch model: pad only to the next multiple of stride
  bool scale_fill = false;    // stretch to the target, no padding (ignored when auto_min_rect)
  bool scaleup = true;        // false: never enlarge (val.py), only shrink
  int stride = 32;
  uint8_t pad_value = 114;
};

struct LetterboxGeometry {
  int source_width = 0, source_height = 0;
  int resized_width = 0, resized_height = 0;  // the image inside the padding
  int output_width = 0, output_height = 0;    // resized + padding = the network input
  int pad_left = 0, pad_top = 0;
  double gain_x = 1, gain_y = 1;              // resized / source; equal unless scale_fill
};

LetterboxGeometry letterbox_geometry(int source_width, int source_height, const LetterboxOptions& options);

// check_img_size: the smallest multiple of `stride` that is >= size.
int stride_multiple(int size, int stride);

// Bilinear resize with OpenCV INTER_LINEAR semantics: pixel centres at +0.5, source coordinate
// sx = (dx + 0.5) * (src_w / dst_w) - 0.5, clamped to the edge pixels, no antialiasing when shrinking.
// The float result is rounded half to even, as the golden pre-processing does (OpenCV's fixed-point path
// differs by one level in some pixels; docs/inference.md).
std::vector<uint8_t> resize_bilinear(const uint8_t* src, int src_width, int src_height, int channels,
                                     int dst_width, int dst_height);

// Resizes and pads `src` (HWC, `channels` per pixel) to geometry.output_width x output_height.
std::vector<uint8_t> letterbox(const uint8_t* src, int channels, const LetterboxGeometry& geometry,
                               uint8_t pad_value = 114);

// HWC uint8 (height x width x channels) -> (1, channels, height, width) float32, value / 255.
Tensor hwc_to_chw_tensor(const uint8_t* hwc, int width, int height, int channels);

}  // namespace yp::yolo
