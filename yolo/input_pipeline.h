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
//
// Physical scale (rule letterbox, a record with a pixel size): every picture is resampled to the record's pixel size
// p_net, whatever its own size - W x H at p_pic A/px becomes round(W p_pic / p_net) x round(H p_pic / p_net) (the
// chain's resize replaced by this one; without a chain: bicubic, antialiased, after step 2) - and cut into size x size
// tiles that overlap by at least one particle (picture_inputs). Training crops size x size pieces of the same
// resampled picture; validation, pick and detect tile it. docs/picking.md section 5 ("Scale") has the arithmetic.
#pragma once

#include <string>
#include <utility>
#include <vector>

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
// input_size, input_channels, and for a model trained at a physical scale input_pixel_size and particle_diameter.
struct InputPipeline {
  InputRule rule = InputRule::Yolov5;
  std::string chain;  // imgproc::to_text of the pre-processing chain; "" = none (always "" for rule yolov5)
  int size = 640;     // the network input's side (yolov5: the target, rounded up to the stride); the tile side
  int channels = 3;   // 1 (gray) or 3 (the gray plane repeated, or R, G, B for rule yolov5)
  // The physical scale (rule letterbox only; 0 = not recorded: pictures are fitted whole into the input, as
  // before this existed). pixel_size: A per pixel of the network input; particle_diameter: A (0 = unknown).
  double pixel_size = 0;
  double particle_diameter = 0;

  bool scaled() const { return pixel_size > 0; }
  double particle_pixels() const { return scaled() ? particle_diameter / pixel_size : 0; }  // at the network
};
bool operator==(const InputPipeline& a, const InputPipeline& b);
inline bool operator!=(const InputPipeline& a, const InputPipeline& b) { return !(a == b); }

const char* input_rule_name(InputRule rule);                     // "yolov5", "letterbox"
InputRule parse_input_rule(const std::string& name, const std::string& label);

// One line for the user when the record leaves something to say ("" otherwise): a file without a record, or a
// record without a scale.
std::string input_note(const InputPipeline& p, const std::string& model_label);

// "3.54 A/px at the network, particle 190 A = 53.7 px" / "no physical scale recorded", for logs and `info`.
std::string scale_text(const InputPipeline& p);

// Sets picture.pixel_size to the one the pipeline uses: `apix` (the user's --apix, overriding the file) when > 0,
// else the file's own (MRC header; 0 for PNG/JPEG). A record with a scale then requires one, and refuses pictures
// whose pixels are more than twice as coarse as the network's (upsampling cannot show what the model learned):
// one-line errors that start with `label` (the file).
void set_pixel_size(imgproc::LoadedImage& picture, double apix, const InputPipeline& p, const std::string& label);

// The picture's size at the record's scale: round(width * picture_pixel_size / p.pixel_size), likewise height.
std::pair<int, int> scaled_size(int width, int height, double picture_pixel_size, const InputPipeline& p);

// The default overlap of neighbouring tiles, px at the network: 1.5 particle diameters (at least 32) when the record
// knows the particle, else 256; never more than half the tile.
int default_tile_overlap(const InputPipeline& p);

// `train --chain` and `pick --chain`: "off" (no chain), "default" (the study's chain) or a comma list of steps
// (imgproc::set_steps; the other settings kept from p.chain when it has one). The chain's resize goes to size x size,
// and the rule becomes "letterbox".
void set_chain(InputPipeline& p, const std::string& steps);

// Steps 1-2: the picture (or micrograph) in [0, 1]; scale_x, scale_y = picture pixels per pixel of `image`
// (the chain's resize or binning, or the resampling to the record's scale). With a scale the picture is resampled
// to it (picture.pixel_size must be set: set_pixel_size); without one and without `chain_resize` the chain runs
// without its resize (tiles at the micrograph's own resolution).
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
  // The detections this input reports: those whose centre lies in [x1, x2) x [y1, y2) of the picture (edge
  // coordinates). Everything for a single input; tiles share their overlaps at its middle (picture_inputs).
  Box<double> owned{-1e30, -1e30, 1e30, 1e30};
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

// A picture's network inputs: one, or tiles in rows (y, then x).
struct PictureInputs {
  int width = 0, height = 0;  // the picture
  std::vector<NetworkInput> inputs;
};

// How picture_inputs lays a picture out.
struct InputLayout {
  bool tiles = false;   // a record without a scale: tiles at the picture's own resolution instead of the whole picture
  int overlap = -1;     // px at the network shared by neighbouring tiles; < 0: default_tile_overlap
  bool square = false;  // rule yolov5, whole picture: pad to a square, not to the next multiple of the stride
};

// Steps 1-5, the one way pick, detect and validation make a picture's inputs:
//   a record with a scale: the picture resampled to it (scale_picture) and cut into size x size tiles (tile_inputs),
//     whatever its size (one padded tile when it is smaller);
//   without a scale: the whole picture letterboxed (network_input), or with layout.tiles the chain without its
//     resize, cut into tiles.
PictureInputs picture_inputs(const imgproc::LoadedImage& picture, const InputPipeline& p, int stride,
                             const InputLayout& layout = {});

// The tiles of a scaled picture of a width x height picture: tile origins tile_starts(...) along each axis, each
// tile region_input, and each owning the centres closer to it than to its neighbours (the boundary is the middle
// of the overlap, in scaled pixels, mapped to the picture), so every centre belongs to exactly one tile.
PictureInputs tile_inputs(const ScaledPicture& scaled, int width, int height, const InputPipeline& p, int stride,
                          int overlap);

// Tile origins along one axis of `length` px for tiles of `tile` px overlapping by at least `overlap`:
// 0, step, 2 step, ..., and the last tile flush with the end. One tile when length <= tile.
std::vector<int> tile_starts(int length, int tile, int overlap);

// A detection of one input: (input, index into that input's detections).
struct DetectionRef {
  int input = 0;
  int index = 0;
};

// The way back, for every caller alike: each input keeps the detections whose centre, mapped to the picture
// (NetworkInput::to_picture), lies in the part it owns; all are sorted by confidence (stable: ties in input order);
// with several inputs one greedy NMS over the picture (yolo::greedy_nms, classes apart unless `agnostic`) then drops
// the pair two tiles report on both sides of a boundary. Best first.
std::vector<DetectionRef> merge_detections(const PictureInputs& inputs,
                                           const std::vector<std::vector<Detection>>& per_input, double iou_thres,
                                           bool agnostic);

}  // namespace yp::yolo
