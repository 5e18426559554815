// input_pipeline.h: the one way from a picture (or micrograph) to the network's input, and its record.
//
// Training makes every input this way (train/loader.h), the model file records how (model_file.h: InputPipeline in
// ModelFileInfo), and `pick`, `detect` and `train val` replay the record through network_input(). What the network
// learned from and what it is fed can then only differ if the record says so; a test trains a tiny model and checks
// that pick and the validation loop see the same detections (tests/picker/pipeline/test_pick_matches_training.cpp).
// docs/inference.md §0.
//
// Rule "letterbox" (what `yolopick train` does), for a picture of W x H in file units:
//   1. the pre-processing chain, when the record has one (imgproc/chain.h; its resize goes to size x size)
//   2. values to [0, 1]: 8-bit pictures (not MRC, max <= 255) / 255, anything else by its 0.1 / 99.9 % percentiles;
//      skipped when the chain ends with its own normalisation
//   3. long side to `size` (geometry below): bicubic, antialiased, clamped to [0, 1]; nothing when it already is
//   4. centred padding with 114/255 to size x size
//   5. the gray plane repeated into `channels` planes
// Steps 1-3 give the base image training augments (mosaic, affine, flips); validation and inference add 4-5.
//
// Rule "yolov5" (files that record no pipeline: official .pt checkpoints, files made by `import`): YOLOv5's
// detect.py - the 8-bit picture (R, G, B for a colour picture and a 3-channel network; else gray: 8-bit values as
// they are, other data by its 0.1 / 99.9 % percentiles, rounded to 8 bits), OpenCV-style bilinear resize on 8-bit
// pixels (yolo/letterbox.h), padding with 114 to the smallest multiple of the stride that holds it (or to a square),
// / 255. No chain.
//
// Geometry (both rules): yolo/letterbox.h's letterbox_geometry, r = min(size / W, size / H), resized sizes rounded
// half to even (Python's round); a tile (region_input) is never resized.
#pragma once

#include <string>

#include "imgproc/image.h"
#include "imgproc/image_io.h"
#include "tensor/tensor.h"
#include "util/box.h"
#include "yolo/detection.h"
#include "yolo/letterbox.h"

namespace yp::yolo {

enum class InputRule { Yolov5, Letterbox };

// YOLOv5's letterbox and mosaic fill, 114 of 255.
constexpr float kPadGray = 114.0f / 255.0f;

// The record. Metadata keys (model_file.h): input_rule ("yolov5" / "letterbox"), preprocessing (the chain),
// input_size, input_channels.
struct InputPipeline {
  InputRule rule = InputRule::Yolov5;
  std::string chain;  // imgproc::to_text of the pre-processing chain; "" = none (always "" for rule yolov5)
  int size = 640;     // the network input's side (yolov5: the target, rounded up to the stride)
  int channels = 3;   // 1 (gray) or 3 (the gray plane repeated, or R, G, B for rule yolov5)
};

const char* input_rule_name(InputRule rule);                     // "yolov5", "letterbox"
InputRule parse_input_rule(const std::string& name, const std::string& label);

// One line for the user when the record leaves something to say ("" otherwise): a file without a record.
std::string input_note(const InputPipeline& p, const std::string& model_label);

// `train --chain` and `pick --chain`: "off" (no chain), "default" (the study's chain) or a comma list of steps
// (imgproc::set_steps; the other settings kept from p.chain when it has one). The chain's resize goes to size x size,
// and the rule becomes "letterbox".
void set_chain(InputPipeline& p, const std::string& steps);

// Steps 1-2: the picture (or micrograph) in [0, 1]; scale_x, scale_y = picture pixels per pixel of `image`
// (the chain's resize or binning). Without `chain_resize` the chain runs without its resize (tiles at the
// micrograph's own resolution).
struct ScaledPicture {
  imgproc::Image image;
  double scale_x = 1, scale_y = 1;
};
ScaledPicture scale_picture(const imgproc::LoadedImage& picture, const InputPipeline& p, bool chain_resize = true);

// The geometry of a width x height region: resized to fit size x size (never enlarged without `scaleup`), padded
// to a square - or, for rule yolov5 unless `square`, to the smallest multiple of `stride`.
LetterboxGeometry input_geometry(int width, int height, const InputPipeline& p, int stride = 32, bool square = true,
                                 bool scaleup = true);

// Step 3: `image` resized to the geometry's resized size by the rule's kernel (returned as it is when the size is
// right already).
imgproc::Image resize_for_input(imgproc::Image image, const LetterboxGeometry& g, InputRule rule);

// Steps 4-5: the g.resized_width x g.resized_height pixels of `src` at (src_x, src_y) placed at the geometry's
// padding offset of a g.output_width x g.output_height canvas of 114/255, repeated into `channels` planes at `dst`.
void write_letterboxed(const imgproc::Image& src, int src_x, int src_y, const LetterboxGeometry& g, int channels,
                       float* dst);

// A network input and how its pixels map back to the picture.
struct NetworkInput {
  Tensor input;                       // (1, channels, output_height, output_width) float32 in [0, 1]
  LetterboxGeometry geometry;         // the region -> the input
  int region_x = 0, region_y = 0;     // the region's origin in the scaled picture (a tile; 0 for the whole)
  double scale_x = 1, scale_y = 1;    // picture pixels per scaled-picture pixel
  // A box from input pixels to the picture's pixels (edge coordinates: 0 = the left edge of pixel 0):
  //   x_picture = ((x_input - pad_left) / (resized_width / region_width) + region_x) * scale_x, the same in y.
  // The letterbox's resize maps edges by resized / source exactly (pixel centres aligned); YOLOv5's scale_boxes
  // divides by the unrounded ratio instead and can be up to half a pixel off.
  Box<double> to_picture(const Detection& d) const;
};

// Steps 1-5 for the whole picture. `square` and `stride` matter for rule yolov5 only.
NetworkInput network_input(const imgproc::LoadedImage& picture, const InputPipeline& p, int stride, bool square = false);

// Steps 4-5 for the region (x, y, width, height) of a scaled picture - a tile, at most size x size, so never
// resized - padded to a square.
NetworkInput region_input(const ScaledPicture& scaled, int x, int y, int width, int height, const InputPipeline& p,
                          int stride);

}  // namespace yp::yolo
