// project.h: a review session's micrographs and their boxes on disk - where boxes are read from, what a save
// writes, the status of each micrograph, the export threshold. The HTTP server (server.h) is a thin layer on it.
//
// Folders (fixed at start and printed; nothing is read or written outside them):
//   micrographs  --micrographs: files, folders, globs, list files (as `pick --input`)
//   picks        --picks: the picker's outputs, read only (NAME.cbox preferred: it keeps every pick)
//   labels       --labels: YOLO label files NAME.txt; default = where `train` looks (images/ -> labels/)
//   out          --out: the reviewed picks, named as `pick` names its outputs, + autopick.star + review.json;
//                default PICKS/reviewed, or reviewed/ beside the labels folder
// Boxes a micrograph starts from: out/NAME.cbox (reviewed before), else the label file, else the picks file.
// Status: labelled = its label file exists (train will use it); reviewed = its reviewed outputs exist;
// unseen = neither.
// A save writes out/NAME.cbox with every box and its confidence, NAME_autopick.star, .box, .csv, .txt with the
// boxes >= the threshold, rewrites out/autopick.star, and, when the micrograph is a training label, its label
// file (boxes >= threshold); unticking "training label" removes that file. Saves are serialised.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "review/yolopick_io.h"

namespace yp::review {

struct ProjectOptions {
  std::vector<std::string> micrographs;
  std::string picks_dir;                  // "" = none
  std::string labels_dir;                 // "" = train's label path of each micrograph
  std::string out_dir;                    // "" = the default above
  std::string model_path;                 // "" = no model: no "pick", the study's chain for the processed view
  double apix = 0;                        // --apix: A/px of the micrographs for "pick" (0 = their MRC headers')
  std::string data_yaml;                  // class names from a data.yaml
  std::vector<std::string> class_names;   // --classes (wins over the model's and the data.yaml's)
  double box_size = 0;                    // STAR picks carry no size; also the new-box size when nothing else says
};

// Class ids a session accepts: 0 .. kMaxClasses - 1. A file's negative class (RELION writes -999 or 0 when a
// picker does not classify) is read as class 0; a larger id than this is an error naming the file.
constexpr int kMaxClasses = 1000;

enum class Status { Unseen, Reviewed, Labelled };
const char* status_name(Status status);

struct Micrograph {
  std::string name;        // the file stem: keys every pick, label and output file
  std::string path;
  std::string label_path;
  int width = 0, height = 0;
  std::string error;       // the header could not be read: shown, never edited
};

// The boxes a micrograph starts from, as the page receives them.
struct LoadedBoxes {
  std::vector<Pick> picks;
  std::string source;       // "reviewed", "labels", "picks" or "none"
  std::string source_path;
  bool label = false;       // a training label: its label file exists, or (no file yet) the session's default
};

// What the micrograph list shows.
struct Summary {
  Status status = Status::Unseen;
  std::string source;
  std::vector<int> counts;  // per class, confidence >= threshold
  int below = 0;            // picks under the threshold
  std::string error;        // its pick or label file could not be read
};

struct SaveResult {
  std::vector<std::string> files;
  Status status = Status::Unseen;
  std::string saved_at;     // local time, "YYYY-MM-DD HH:MM:SS"
};

class Project {
 public:
  // Expands the micrographs and checks the folders; throws yp::Error with a one-line reason.
  explicit Project(const ProjectOptions& options);

  const std::vector<Micrograph>& micrographs() const { return micrographs_; }
  const Micrograph* find(const std::string& name) const;  // nullptr for a name not in the list
  std::vector<std::string> class_names() const;
  // Median box size of class `cls` over the boxes read so far, else --box, else 0 (the page decides).
  std::pair<double, double> typical_box(int cls) const;
  double threshold() const;
  bool default_label() const { return options_.picks_dir.empty(); }
  const std::string& out_dir() const { return out_dir_; }
  std::string labels_description() const;
  const std::string& picks_dir() const { return options_.picks_dir; }
  bool can_pick() const { return model_ != nullptr; }
  const std::string& model_path() const { return options_.model_path; }
  std::string processed_description() const { return processed_view_description(model_.get()); }

  Status status(const Micrograph& m) const;
  // Throws yp::Error naming the file when a pick or label file is malformed.
  LoadedBoxes load(const Micrograph& m) const;
  Summary summary(const Micrograph& m, double threshold) const;
  SaveResult save(const Micrograph& m, const std::vector<Pick>& picks, double threshold, bool label);
  // Stores the threshold in out/review.json and rewrites the STAR/.box/.csv/.txt of every reviewed micrograph
  // from its .cbox at that threshold (label files are left as they were saved). Returns how many.
  int export_reviewed(double threshold);
  // The model's picks (confidence >= 0.01); throws yp::Error without a model.
  std::vector<Pick> pick(const Micrograph& m) const;
  Gray8 view(const Micrograph& m, ViewKind kind) const;

 private:
  struct CachedBoxes {
    std::string stamp;     // source path + modification time: reread when it changes
    LoadedBoxes boxes;
  };
  LoadedBoxes read_boxes(const Micrograph& m) const;
  LoadedBoxes cached_boxes(const Micrograph& m) const;
  void note_classes(const std::vector<Pick>& picks) const;
  void check_writable(const std::string& path) const;

  ProjectOptions options_;
  std::vector<Micrograph> micrographs_;
  std::map<std::string, size_t> by_name_;
  std::string out_dir_;
  std::vector<std::string> label_dirs_;       // every folder a label file may be written to
  std::shared_ptr<const ReviewModel> model_;
  double threshold_ = 0.25;

  mutable std::mutex state_mutex_;            // names_, cache_, threshold_
  mutable std::vector<std::string> names_;
  mutable std::map<std::string, CachedBoxes> cache_;
  std::mutex write_mutex_;                    // one save or export at a time (they share NAME.tmp names)
  mutable std::mutex model_mutex_;
};

}  // namespace yp::review
