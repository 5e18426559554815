// formats_box.h: EMAN .box and crYOLO .cbox pick files. Both store the box's LOWER-LEFT CORNER in MRC array
// pixels, so corner = centre - size/2 and centre = corner + size/2 (no y flip: "lower" means lower row index,
// which IMOD/EMAN draw at the bottom).
//
// .box  (EMAN1/EMAN2 boxer; RELION and cryoSPARC read it):  "x y w h" per line, integers by convention.
//       Extra columns (EMAN1 helix markers) are ignored on read. No class, no score.
// .cbox (crYOLO >= 1.8, a STAR file): data_global/_cbox_format_version 1.0, then data_cryolo loop_ with
//       _CoordinateX _CoordinateY _CoordinateZ _Width _Height _Depth _EstWidth _EstHeight _Confidence
//       _NumBoxes _Angle, plus our _yolopickClass. It keeps EVERY detection with its confidence, also those
//       below the picking threshold, so users can re-threshold without re-running. The legacy (< 1.8)
//       tab-separated form "x y w h confidence est_w est_h" is read too.
#pragma once

#include <string>

#include "picker/coords.h"

namespace yp::picker {

// integer_corners: EMAN's convention (corner and size rounded to whole pixels, so a round trip moves a centre
// by at most half a pixel); false writes two decimals.
void write_eman_box(const std::string& path, const MicrographPicks& mic, bool integer_corners = true);
MicrographPicks read_eman_box(const std::string& path);

void write_cbox(const std::string& path, const MicrographPicks& mic);
MicrographPicks read_cbox(const std::string& path);

}  // namespace yp::picker
