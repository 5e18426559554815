// yolopick_io.h: everything `yolopick review` takes from the rest of yolopick, in one place: reading a
// micrograph (imgproc), the pick-file readers and writers (picker), the label reader/writer of `train`, the
// pick pipeline for "pick this micrograph" and the atomic text writer. The review itself keeps no second copy
// of a format; when a module renames a function, this file is the only one to follow it.
//
// Coordinates: every Pick is in the micrograph's own pixels, centre at (x, y) with pixel centres at integers,
// x = column, y = row as stored (picker/coords.h, docs/picking.md). The review never flips: a PNG's row 0 and an
// MRC's row 0 are both y = 0, exactly as `pick` and `train` read them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "picker/coords.h"
#include "review/pyramid.h"

namespace yp::review {

using picker::Pick;
using picker::MicrographPicks;

// `--micrographs` specs (files, folders, globs, list files) -> sorted paths; duplicate stems are refused.
std::vector<std::string> expand_micrographs(const std::vector<std::string>& specs);
// (width, height) from the file's header, without reading the pixels.
std::pair<int, int> micrograph_size(const std::string& path);

// --- pictures ---------------------------------------------------------------------------------------------
// How a micrograph is shown: its pixels as stored, contrast-stretched between the 0.5 and 99.5 percentiles
// (as `pick`'s annotated PNG), or through a pre-processing chain (resize, wavelet, Wiener, CLAHE, normalise).
enum class ViewKind { Raw, Processed };

// The model a review session picks with (opaque: the pick pipeline's model and its stored chain), and the pixel size
// of the micrographs (A/px, as pick --apix; 0 = their MRC headers'), which a model with a scale needs.
struct ReviewModel;
std::shared_ptr<const ReviewModel> load_review_model(const std::string& path, double apix = 0);
std::vector<std::string> model_class_names(const ReviewModel& model);

// The 8-bit picture of a view. Processed uses the model's stored chain, or the study's chain without a model.
Gray8 read_view(const std::string& micrograph_path, ViewKind kind, const ReviewModel* model);
// "resize 1024x1024, wavelet, wiener, clahe, normalize (the model's chain)" and the like, for the page.
std::string processed_view_description(const ReviewModel* model);

// The model's picks on one micrograph: every pick with confidence >= 0.01 (the .cbox floor), best first.
std::vector<Pick> pick_micrograph(const ReviewModel& model, const std::string& micrograph_path);

// The colour `pick` draws class `cls` in on its annotated PNGs (imgproc/annotate.h), as "#rrggbb".
std::string class_colour_hex(int cls);

// --- pick and label files ---------------------------------------------------------------------------------
// The pick file for micrograph `name` in `dir`, in picker/pick_io.h's order of preference (.cbox keeps every
// pick with its confidence, then RELION STAR, CSV, .box, YOLO txt); "" when there is none.
std::string find_pick_file(const std::string& dir, const std::string& name);
// Reads any pick file; STAR gives no size, so its boxes get `box_size` (0 = unknown). A YOLO txt is
// normalised to the micrograph: width and height are needed.
MicrographPicks read_pick_file(const std::string& path, int width, int height, double box_size);

// Where `yolopick train` looks for the labels of an image: .../images/.../x.png -> .../labels/.../x.txt,
// else x.txt beside it (train/dataset.h label_path_for).
std::string train_label_path(const std::string& image_path);
// A YOLO label file ("class cx cy w h", normalised) as picks of confidence 1 in micrograph pixels.
MicrographPicks read_label_file(const std::string& path, int width, int height);
// Writes the picks with confidence >= threshold as training labels, with `train`'s own conversion and writer
// (train/import_labels.h picks_to_labels: boxes clipped to the image, centres outside it dropped).
void write_label_file(const std::string& path, const MicrographPicks& mic, double threshold);

// Class names from a data.yaml (`names:`).
std::vector<std::string> dataset_class_names(const std::string& data_yaml);

// The reviewed picks of one micrograph in `out_dir`, named and written as `yolopick pick` writes its outputs
// (picker/pipeline/pick_run.h): NAME.cbox with every pick, NAME_autopick.star, NAME.box, NAME.csv and NAME.txt
// with those >= threshold, each through a temporary file and a rename. Returns the paths written.
std::vector<std::string> write_reviewed_picks(const std::string& out_dir, const std::string& micrograph_path,
                                              const MicrographPicks& mic, double threshold,
                                              const std::vector<std::string>& names);
// The reviewed .cbox of a micrograph in `out_dir` (its presence marks the micrograph reviewed).
std::string reviewed_cbox_path(const std::string& out_dir, const std::string& micrograph_path);
bool reviewed_done(const std::string& out_dir, const std::string& micrograph_path);
// Rewrites out_dir/autopick.star (RELION 4 index) over the reviewed micrographs, paths relative to `project`.
void write_reviewed_index(const std::vector<std::string>& micrographs, const std::string& out_dir,
                          const std::string& project);

// Writes `content` to path.tmp and renames it over path.
void write_text_atomic(const std::string& path, const std::string& content);
std::string read_text(const std::string& path);

}  // namespace yp::review
