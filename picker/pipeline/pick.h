// pick.h: one micrograph -> particle picks in the micrograph's own pixels, with a YOLOv5 detector.
//
//   raw micrograph (any size, MRC rows)                      -> read by imgproc (no flip)
//   -> the model's pre-processing chain (imgproc/chain.h)   -> image P, Wp x Hp
//   -> network inputs: resize mode = P letterboxed to input_size x input_size (the study: 2k -> 1k chain resize,
//      letterbox is then the identity); tile mode = P at native resolution cut into input_size tiles that
//      overlap by `tile_overlap` px (edge tiles letterboxed)
//   -> forward -> NMS (yolo/nms.h) at the cbox floor -> boxes mapped back to the original micrograph:
//        edge coordinates (0 = left edge of pixel 0):  x_P = (x_in - pad_left) / (resized_w / tile_w) + tile_x
//                                                       x_o = x_P * s_x,  s_x = W_o / W_p (bicubic, centres aligned)
//                                                                             or the bin factor (binning)
//        centre index (pixel centres at integers, coords.h):  x = (x1_o + x2_o) / 2 - 0.5, likewise y
//   -> merge: a tile keeps only centres in the part of it that is closer to it than to its neighbours, then
//      one class-aware NMS over the micrograph, then a minimum distance between centres (any class, greedy by
//      confidence) and an edge margin.
// Every pick at or above `floor` survives into the result (the .cbox keeps them all); the other outputs apply
// `conf`. Derivation and pictures: docs/picking.md section 4 ("From network pixels back to the micrograph").
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgproc/chain.h"
#include "imgproc/image.h"
#include "picker/coords.h"
#include "tensor/tensor.h"
#include "yolo/infer.h"

namespace yp::picker {

// Everything the picker needs from a trained model. `forward` maps (1, input_channels, H, W) float32 in [0, 1]
// to decoded predictions (1, n_pred, 5 + nc) in input pixels (yolo/infer.h); tests pass a stand-in.
struct PickModel {
  yolo::ForwardFn forward;
  int nc = 1;
  int input_channels = 1;  // 1 (gray model) or 3 (the grey picture repeated, as training saw a grey PNG)
  int input_size = 1024;   // square network input, a multiple of `stride`
  int stride = 32;
  std::vector<std::string> names;
  imgproc::ChainConfig preprocess;
  std::string note;        // e.g. "the model stores no pre-processing; the study's chain is used"
};

// Loads a .safetensors model file or a YOLOv5 .pt (yolo/model_file.h), folds BatchNorm, reads the stored
// pre-processing (empty: the study's chain resizing to input_size). Throws yp::Error naming the file when the
// model cannot be used for picking (channels other than 1/3, input size not a multiple of the stride).
PickModel load_pick_model(const std::string& path);

// Checks --classes against the model: integers = class indices to keep (each < nc); names = the classes the
// user expects, which must be exactly the model's (same count and names). Returns the indices to keep (empty =
// all). Throws a one-line yp::Error on a mismatch.
std::vector<int> resolve_classes(const std::vector<std::string>& requested, const PickModel& model,
                                 const std::string& model_label);

enum class PickMode { Resize, Tile };

struct PickOptions {
  PickMode mode = PickMode::Resize;
  int tile_overlap = 256;      // px of the pre-processed image shared by neighbouring tiles (>= a particle)
  double conf = 0.25;          // threshold of STAR/.box/CSV/txt/PNG
  double floor = 0.01;         // every pick >= floor goes to the .cbox
  double iou = 0.45;           // NMS IoU threshold (per tile and across tiles)
  // A particle is one thing: a top view or a side view, not both. Class-agnostic NMS keeps the best class of
  // overlapping boxes; false = YOLOv5's detect.py default, classes never suppress each other.
  bool agnostic = true;
  std::vector<int> keep_classes;  // empty = all
  double min_distance = 0;     // px of the original micrograph between kept centres; 0 = off
  double edge_margin = 0;      // px: centres closer than this to the micrograph border are dropped
  int max_det = 3000;          // per network input
};

// One network input and how its pixels map back to the original micrograph.
struct NetworkInput {
  Tensor input;                      // (1, C, S, S)
  yolo::LetterboxGeometry geometry;  // tile (or whole P) -> input
  int tile_x = 0, tile_y = 0;        // tile origin in P
  double own_x0 = -1e30, own_x1 = 1e30, own_y0 = -1e30, own_y1 = 1e30;  // owned centres, P edge coordinates
};

// The CPU-heavy part before the network: pre-process and cut. Runs on the reader thread of the pipeline.
struct PreparedMicrograph {
  int width = 0, height = 0;          // original micrograph
  double scale_x = 1, scale_y = 1;    // original px per P px
  std::vector<NetworkInput> inputs;
};
PreparedMicrograph prepare_micrograph(const imgproc::Image& raw, const PickModel& model, const PickOptions& options);

// Forward + NMS + mapping + merge; picks at or above options.floor, best first.
std::vector<Pick> detect_prepared(const PreparedMicrograph& prepared, const PickModel& model,
                                  const PickOptions& options);

std::vector<Pick> pick_micrograph(const imgproc::Image& raw, const PickModel& model, const PickOptions& options);

// Tile origins along one axis of `length` px for tiles of `tile` px overlapping by at least `overlap`:
// 0, step, 2 step, ..., and the last tile flush with the end. One tile when length <= tile.
std::vector<int> tile_starts(int length, int tile, int overlap);

// Greedy by confidence: drops every pick whose centre lies within `distance` px of an already kept one.
std::vector<Pick> enforce_min_distance(std::vector<Pick> picks, double distance);

}  // namespace yp::picker
