// import_labels.h: particle coordinates -> YOLO training labels (`yolopick train labels`).
//
// Sources (centres in the micrograph's pixel frame, x = column, y = row), read by picker/pick_io.h read_picks:
//   RELION .star   _rlnCoordinateX/Y, optional _rlnClassNumber taken as the class id     (picker/formats_star.h)
//   EMAN .box      lower-left corner + size; centre = corner + size/2                  (picker/formats_box.h)
//   crYOLO .cbox
//   CSV            a header naming x and y columns ("x", "X-Coordinate", ...), optional diameter / w, h,
//                  class (picker/formats_text.h)
//   disk masks     centres from train/mask_centres.h (CryoPPP / CryoSegNet ground truth)
// Every particle becomes a box of `box_size` pixels (or its own size/diameter when the file has one and no
// box size is forced), clipped to the image, and is written normalised as "class cx cy w h" with pixel
// edges at half-integers: cx = (x + 0.5) / W (the picker's YOLO convention, picker/formats_text.h).
// Boxes whose centre lies outside the image are dropped. A negative class (RELION's -999 placeholder) is an
// error unless single_class is set, which is the usual case for one-class particle detectors.
#pragma once

#include <string>
#include <vector>

#include "imgproc/image.h"
#include "picker/coords.h"
#include "train/dataset.h"
#include "train/mask_centres.h"

namespace yp::train {

struct ImportOptions {
  double box_size = 0;      // > 0: every box is box_size x box_size; 0: the file's own size (error if none)
  bool force_box_size = false;  // true: box_size replaces sizes found in the file
  picker::ImageRows rows = picker::ImageRows::SameAsMrc;  // FlippedY when the image is the MRC flipped
  int single_class = -1;    // >= 0: every particle gets this class (one-class detectors)
};

// Picks (MRC-array frame) -> normalised labels for a width x height image.
std::vector<YoloLabel> picks_to_labels(const picker::MicrographPicks& mic, int width, int height, const ImportOptions& opt);

// Centres of the disks in a grey mask picture (imgproc::read_image's gray plane, 0..255), as picks with the given
// box size.
picker::MicrographPicks mask_to_picks(const imgproc::Image& mask, const MaskCentreParams& params, double box_size);

// For every image in `images` (files or folders), finds the coordinate file in `coords_dir` with the same
// micrograph key (picker/coords.h micrograph_key) and writes labels/<stem>.txt into `labels_dir`.
// Images without a coordinate file get an empty label file only if `write_empty` is set.
// Returns the number of label files written.
struct ImportReport {
  int images = 0, labelled = 0, particles = 0, dropped = 0;
};
ImportReport import_folder(const std::vector<std::string>& images, const std::string& coords_dir,
                           const std::string& labels_dir, const ImportOptions& opt, bool write_empty = false);

}  // namespace yp::train
