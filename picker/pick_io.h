// pick_io.h: read any supported pick file by its extension, and a whole folder of them (what `evaluate` does).
//
//   .star -> RELION coordinates   .box -> EMAN   .cbox -> crYOLO   .csv -> our CSV   .txt -> YOLO labels
// A folder may hold several files for one micrograph (the simulator writes .txt and .star); one is taken per
// micrograph key (coords.h micrograph_key) in the order cbox, star, csv, box, txt: .cbox first because it keeps
// the picks below threshold that PR curves need. RELION index files (autopick.star), *_labels.csv
// (simulator's full object list), marked positions (*.excluded.txt, *.uncertain.txt) and README* are skipped.
#pragma once

#include <map>
#include <string>

#include "picker/coords.h"

namespace yp::picker {

struct ReadOptions {
  double box_size = 0;           // w = h for formats without a size (STAR); 0 = unknown
  int width = 0, height = 0;     // image size for YOLO txt; 0 = find an image with the same key beside it
  ImageRows rows = ImageRows::SameAsMrc;
  std::string only_ext;          // e.g. ".txt": read_pick_folder takes only that format; empty = preference order
};

bool is_pick_file(const std::string& path);
MicrographPicks read_picks(const std::string& path, const ReadOptions& opt);
std::map<std::string, MicrographPicks> read_pick_folder(const std::string& dir, const ReadOptions& opt);

}  // namespace yp::picker
