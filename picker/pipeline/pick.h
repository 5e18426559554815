// pick.h: one micrograph -> particle picks in the micrograph's own pixels, with a YOLOv5 detector.
//
//   micrograph (any size, MRC rows, read by imgproc; nothing flipped)
//   -> network inputs, by the model's recorded input pipeline (yolo/input_pipeline.h: chain, values to [0, 1],
//      letterbox), exactly as its training made them: resize mode = the whole micrograph as one input; tile mode = the
//      pipeline without the chain's resize (native resolution), cut into input-size tiles that overlap by
//      `tile_overlap` px, each padded (never enlarged)
//   -> forward -> NMS (yolo/nms.h) at the .cbox floor -> boxes mapped back to the micrograph
//      (yolo::NetworkInput::to_picture, edge coordinates) -> centre index (pixel centres at integers, coords.h):
//      x = (x1 + x2) / 2 - 0.5, likewise y
//   -> merge: a tile keeps only centres in the part of it that is closer to it than to its neighbours, then one
//      greedy NMS over the micrograph (yolo::greedy_nms; classes apart unless agnostic), then a minimum distance
//      between centres (any class, greedy by confidence) and an edge margin.
// Every pick at or above `floor` survives into the result (the .cbox keeps them all); the other outputs apply
// `conf`. Derivation and pictures: docs/picking.md section 4 ("From network pixels back to the micrograph").
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgproc/image_io.h"
#include "picker/coords.h"
#include "yolo/detector.h"
#include "yolo/input_pipeline.h"

namespace yp::picker {

// Checks --classes against the model: integers = class indices to keep (each < nc); names = the classes the
// user expects, which must be exactly the model's (same count and names). Returns the indices to keep (empty =
// all). Throws a one-line yp::Error on a mismatch.
std::vector<int> resolve_classes(const std::vector<std::string>& requested, const yolo::Detector& model,
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

// One network input and the centres it owns (micrograph edge coordinates; everything for a single input).
struct PickInput {
  yolo::NetworkInput net;
  double own_x0 = -1e30, own_x1 = 1e30, own_y0 = -1e30, own_y1 = 1e30;
};

// The CPU-heavy part before the network: the input pipeline and the cutting. Runs on the reader thread of the run.
struct PreparedMicrograph {
  int width = 0, height = 0;  // the micrograph
  std::vector<PickInput> inputs;
};
PreparedMicrograph prepare_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                      const PickOptions& options);

// Forward + NMS + mapping + merge; picks at or above options.floor, best first.
std::vector<Pick> detect_prepared(const PreparedMicrograph& prepared, const yolo::Detector& model,
                                  const PickOptions& options);

std::vector<Pick> pick_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                  const PickOptions& options);

// Tile origins along one axis of `length` px for tiles of `tile` px overlapping by at least `overlap`:
// 0, step, 2 step, ..., and the last tile flush with the end. One tile when length <= tile.
std::vector<int> tile_starts(int length, int tile, int overlap);

// Greedy by confidence: drops every pick whose centre lies within `distance` px of an already kept one.
std::vector<Pick> enforce_min_distance(std::vector<Pick> picks, double distance);

}  // namespace yp::picker
