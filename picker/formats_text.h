// formats_text.h: plain-text pick files.
//
// CSV:      header "x,y,w,h,class,confidence" (what we write), one pick per line; x, y = CENTRE in MRC array
//           pixels. The reader finds columns by header name, case-insensitive, in any order, other columns ignored:
//           x ("x", "X-Coordinate", "x_...", "xcoord", "_rlnCoordinateX") and y alike are required; w and h
//           ("width", "height") come together or not at all; a diameter column ("Diameter", CryoPPP) sets w = h;
//           class ("cls") and confidence are optional. Sizes are 0 where the file has none.
// YOLO txt: "class cx cy w h [confidence]" per line, all normalised to the IMAGE FILE the labels belong to
//           (what YOLOv5 trains on): pixel edges are at half-integers in our index space, so
//             cx = (x + 0.5) / W,   cy = (row + 0.5) / H,   w_n = w / W,   h_n = h / H,
//           with row = y when the image stores MRC rows as they are, and row = H - 1 - y when it is flipped
//           (MicrographPicks::image_rows). Needs the image size; the confidence column is optional.
// Marked positions (NAME.excluded.txt, NAME.uncertain.txt): "cx cy note" per line, pixels of the micrograph,
//           the note is the rest of the line (may hold spaces, may be empty). Blank lines are skipped.
#pragma once

#include <string>

#include "picker/coords.h"

namespace yp::picker {

void write_picks_csv(const std::string& path, const MicrographPicks& mic);
MicrographPicks read_picks_csv(const std::string& path);

// mic.width/height must be set. with_confidence=false writes the 5-column training-label form.
void write_yolo_txt(const std::string& path, const MicrographPicks& mic, bool with_confidence = true);
MicrographPicks read_yolo_txt(const std::string& path, int width, int height, ImageRows rows = ImageRows::SameAsMrc);

void write_marked_positions(const std::string& path, const std::vector<MarkedPosition>& positions);
std::vector<MarkedPosition> read_marked_positions(const std::string& path);

}  // namespace yp::picker
