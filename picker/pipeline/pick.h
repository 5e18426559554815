// pick.h: one micrograph -> particle picks in the micrograph's own pixels, with a YOLOv5 detector.
//
//   micrograph (any size, MRC rows, read by imgproc; nothing flipped)
//   -> network inputs by the model's recorded input pipeline, exactly as its training made them
//      (yolo::picture_inputs, yolo/input_pipeline.h: chain, values to [0, 1], the cutting):
//        a model that records a physical scale: the micrograph resampled from its pixel size (MRC header or --apix)
//        to the model's, cut into input-size tiles that overlap by at least a particle, whatever its size;
//        a model without one: resize mode = the whole micrograph as one input; tile mode = the pipeline without the
//        chain's resize (native resolution), cut into tiles overlapping by `tile_overlap` px, each padded
//   -> forward -> NMS (yolo/nms.h) at the .cbox floor per input -> merge (yolo::merge_detections: a tile keeps
//      only centres in the part of it that is closer to it than to its neighbours, then one greedy NMS over the
//      micrograph; classes apart unless agnostic) -> boxes mapped back to the micrograph
//      (yolo::NetworkInput::to_picture, edge coordinates) -> centre index (pixel centres at integers, coords.h):
//      x = (x1 + x2) / 2 - 0.5, likewise y
//   -> a minimum distance between centres (any class, greedy by confidence) and an edge margin.
// Every pick at or above `floor` survives into the result (the .cbox keeps them all); the other outputs apply
// `conf`. Derivation and pictures: docs/picking.md section 4 ("From network pixels back to the micrograph",
// "Scale").
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

// The threshold of pick's outputs (all but the .cbox): one for every class, or one per class (a calibrated
// model's, yolo::ModelFileInfo::conf_thresholds). A number converts to the first form.
struct ConfThreshold {
  double all = 0.25;
  std::vector<double> per_class;  // non-empty: class k's threshold (classes beyond it use `all`)
  ConfThreshold(double t = 0.25) : all(t) {}  // NOLINT(google-explicit-constructor): `conf = 0.5` reads best
  double of(int cls) const { return cls >= 0 && cls < (int)per_class.size() ? per_class[(size_t)cls] : all; }
  bool keeps(const Pick& p) const { return p.confidence >= of(p.cls); }
  double lowest() const;
  std::string str(const std::vector<std::string>& names) const;  // "0.25" or "top 0.41, side 0.36"
};

// pick's threshold when the user gives none (`cli` < 0): the model's calibrated ones, else 0.25 for every class;
// `cli` >= 0 (--conf) overrides both. `source` says where they came from, for the log.
ConfThreshold default_conf_threshold(const yolo::ModelFileInfo& model, double cli, std::string* source);

// For models without a recorded scale (one with a scale is always tiled at its scale).
enum class PickMode { Resize, Tile };

struct PickOptions {
  PickMode mode = PickMode::Resize;
  int tile_overlap = -1;       // px of the network's image shared by neighbouring tiles (>= a particle);
                               // < 0: yolo::default_tile_overlap (1.5 particles, or 256 px)
  ConfThreshold conf;          // threshold of STAR/.box/CSV/txt/PNG
  double floor = 0.01;         // every pick >= floor goes to the .cbox
  double iou = 0.45;           // NMS IoU threshold (per tile and across tiles)
  // A particle is one thing: a top view or a side view, not both. Class-agnostic NMS keeps the best class of
  // overlapping boxes; false = YOLOv5's detect.py default, classes never suppress each other.
  bool agnostic = true;
  std::vector<int> keep_classes;  // empty = all
  double min_distance = 0;     // px of the original micrograph between kept centres; 0 = off
  double edge_margin = 0;      // px: centres closer than this to the micrograph border are dropped
  int max_det = 3000;          // per network input
  // Test-time augmentation (yolo/tta.h): every network input also flipped and turned, the views' boxes fused by
  // weighted boxes fusion before the merge across tiles. 8x the network time.
  bool tta = false;
};

// The CPU-heavy part before the network: the input pipeline and the cutting (the micrograph's size and its network
// inputs, each with the part of the micrograph it owns). Runs on the reader thread of the run. A model with a scale
// needs micrograph.pixel_size (the MRC header's, or --apix through yolo::set_pixel_size, as pick_run does).
using PreparedMicrograph = yolo::PictureInputs;
PreparedMicrograph prepare_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                      const PickOptions& options);

// Forward + NMS + merge + mapping; picks at or above options.floor, best first. `capped` (optional) accumulates
// what the per-input caps (options.max_det, NMS's max_nms) cut: the caller warns, naming the micrograph.
std::vector<Pick> detect_prepared(const PreparedMicrograph& prepared, const yolo::Detector& model,
                                  const PickOptions& options, yolo::NmsCapped* capped = nullptr);

std::vector<Pick> pick_micrograph(const imgproc::LoadedImage& micrograph, const yolo::Detector& model,
                                  const PickOptions& options, yolo::NmsCapped* capped = nullptr);

// One line for the log when a cap cut boxes ("" otherwise): "warning: NAME: ...".
std::string cap_warning(const std::string& micrograph, const yolo::NmsCapped& capped, const PickOptions& options,
                        int inputs);

// Greedy by confidence: drops every pick whose centre lies within `distance` px of an already kept one.
std::vector<Pick> enforce_min_distance(std::vector<Pick> picks, double distance);

}  // namespace yp::picker
