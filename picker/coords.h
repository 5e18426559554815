// coords.h: the one in-memory form of particle picks (the text helpers the formats share are util/text.h).
//
// Convention (docs/picking.md, ../shared/picking-facts.md §0): a Pick's (x, y) is the particle CENTRE in
// "MRC array index" space: x = column, y = row of the micrograph data array as stored (row 0 = first row after
// the MRC header), pixel centres at integer coordinates. w, h are the box size in pixels. Every reader converts
// its format's convention (corner, normalised, flipped) into this space; every writer converts back. Class ids
// are 0-based everywhere (KLH: 0 = top view, 1 = side view).
//
// ImageRows is the orientation flag: the image file the labels refer to (PNG/TIFF given to the network) may
// store its rows flipped relative to the MRC array. It matters only to formats tied to an image file (YOLO txt,
// annotated PNG); STAR/.box/.cbox/CSV always use MRC rows.
#pragma once

#include <string>
#include <vector>

#include "util/box.h"

namespace yp::picker {

enum class ImageRows { SameAsMrc, FlippedY };

struct Pick {
  double x = 0, y = 0;        // centre, MRC array pixels
  double w = 0, h = 0;        // box size, pixels
  int cls = 0;                // 0-based class id
  double confidence = 1.0;    // 0..1 (1 for manual picks / ground truth)
};

// The picks of one micrograph. width/height (pixels) are 0 when unknown (e.g. read from a STAR file);
// formats that need them (YOLO txt) say so.
struct MicrographPicks {
  std::string micrograph;     // file name of the micrograph (no directory), or its stem
  int width = 0, height = 0;
  ImageRows image_rows = ImageRows::SameAsMrc;
  std::vector<Pick> picks;
};

// A position without a box, with a free-text note: the lines of the real KLH labels' NAME.excluded.txt (objects
// that must not be picked: hard negatives) and NAME.uncertain.txt (ambiguous objects: picks near them are
// ignored), "cx cy note" in pixels of the micrograph (formats_text.h). The simulator writes the same files.
struct MarkedPosition {
  double x = 0, y = 0;
  std::string note;
};

// Mirror a y coordinate between MRC rows and a flipped image: y' = H - 1 - y (pixel centres at integers).
inline double flip_row(double y, int height) { return height - 1 - y; }

// The pick's box by its corners (centre -/+ half the size), for box_iou (util/box.h).
inline Box<double> corners(const Pick& p) { return {p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2}; }

// File stem with known pick-file suffixes removed, so "mic01_autopick.star", "mic01.box" and "mic01.txt" all
// give "mic01": that is how evaluate pairs predictions with truth.
std::string micrograph_key(const std::string& path);

}  // namespace yp::picker
