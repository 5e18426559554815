// dataset.h: the data set description (YOLOv5's data.yaml) and YOLO-format label files.
//
// data.yaml (the subset of YAML YOLOv5's own files use):
//   path: /data/bgal          # optional root; relative entries below are relative to it (else to the yaml)
//   train: images/train       # a folder of images, a .txt list of image paths, or a list of either
//   val: [images/val, extra.txt]
//   test: images/test         # optional
//   nc: 1
//   names: ['particle']       # or a block list (- a) or a block map (0: a)
// Labels (YOLOv5 img2label_paths): for .../images/.../x.jpg the label is .../labels/.../x.txt (the last
// "/images/" replaced by "/labels/"); an image outside any images/ folder has its label beside it.
// A label file has one line per object, "class cx cy w h", all normalised to the image (0..1), which is
// what web annotators (makesense.ai, CVAT, Roboflow) export. A missing file means "no objects".
#pragma once

#include <string>
#include <vector>

namespace yp::train {

struct DatasetSpec {
  std::string yaml_path;
  std::string root;                       // absolute folder the entries are relative to
  std::vector<std::string> train, val, test;  // as written (relative or absolute)
  int nc = 0;
  std::vector<std::string> names;
};

// Throws yp::Error "FILE:LINE: problem" on anything it cannot read.
DatasetSpec read_dataset_yaml(const std::string& path);
// Writes a data.yaml (atomically) for the given lists/folders.
void write_dataset_yaml(const std::string& path, const DatasetSpec& spec);

// Every image that `entries` name (folders are listed recursively, sorted; .txt files list one path per line,
// relative to the list's folder). Throws when an entry does not exist or names no image.
std::vector<std::string> list_images(const std::vector<std::string>& entries, const std::string& root);
bool is_image_file(const std::string& path);
std::string label_path_for(const std::string& image_path);

struct YoloLabel {
  int cls = 0;
  double cx = 0, cy = 0, w = 0, h = 0;  // normalised to the image
};

// Reads a label file; throws "FILE:LINE: ..." for a wrong column count, a non-number, a class outside
// [0, nc) or coordinates outside [0, 1] (YOLOv5's checks). Exact duplicate lines are dropped, as YOLOv5 does.
// A missing file returns no labels.
std::vector<YoloLabel> read_yolo_labels(const std::string& path, int nc);
void write_yolo_labels(const std::string& path, const std::vector<YoloLabel>& labels);

// Marked positions beside a label file NAME.txt (the real KLH labels' format, also what `yolopick simulate` writes):
//   NAME.excluded.txt   "cx cy [note]" in pixels of the image: objects that must not be picked (hard negatives)
//   NAME.uncertain.txt  "cx cy [note]": objects neither labelled nor excluded (ignore regions)
// Training masks the loss around them (yolo/loss.h LossMasks, docs/training.md "Hard negatives and ignore regions").
enum class MarkKind { Excluded, Uncertain };
struct MarkedPoint {
  MarkKind kind = MarkKind::Excluded;
  double x = 0, y = 0;  // pixels of the image (continuous: pixel i covers [i, i+1))
};
// Reads one marker file; throws "FILE:LINE: ..." for a line without two numbers. A missing file returns none.
std::vector<MarkedPoint> read_marked_points(const std::string& path, MarkKind kind);
// NAME.excluded.txt and NAME.uncertain.txt beside the label file NAME.txt, both read.
std::vector<MarkedPoint> read_marks_for_labels(const std::string& label_path);

struct Sample {
  std::string image_path;
  std::vector<YoloLabel> labels;
  std::vector<MarkedPoint> marks{};  // hard negatives and ignore regions, pixels of the image ({}: brace-init may omit it)
  double loss_weight = 1.0;        // multiplies every loss term of this image (per-source weights, docs/training.md)
  int repeat = 1;                  // times drawn per epoch (per-source ratios)
};

// One split ("train", "val" or "test") with its labels.
std::vector<Sample> load_split(const DatasetSpec& spec, const std::string& split);

// Throws yp::Error naming the data.yaml, the split and where the first image's label file was looked for when
// not one image of `samples` has a label (a missing labels folder trains on background and exits 0 otherwise);
// allow_empty (train --allow-empty) accepts it: background-only training is a real use.
void require_labels(const std::vector<Sample>& samples, const DatasetSpec& spec, const std::string& split,
                    bool allow_empty);
// Mixing sources (`train --data A.yaml --data B.yaml --data-repeat 1,8 --data-weight 1,2`, docs/training.md):
// every image of a source is drawn `repeat` times per epoch, and its loss terms are multiplied by `weight`.
struct DataSource {
  DatasetSpec spec;
  int repeat = 1;
  double weight = 1.0;
};
// The sources of yaml_paths with the comma-separated lists (one entry per path, or empty for all 1). Throws for a
// count that does not match, a repeat that is not a whole number >= 1, a weight < 0, and sources whose classes
// (nc, names) differ from the first's.
std::vector<DataSource> read_sources(const std::vector<std::string>& yaml_paths, const std::string& repeats,
                                     const std::string& weights);
// The split of every source in turn, each sample carrying its source's repeat and weight.
std::vector<Sample> load_sources(const std::vector<DataSource>& sources, const std::string& split);

}  // namespace yp::train
