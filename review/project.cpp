// project.cpp: folders, loading, saving and status of a review session (project.h).
#include "review/project.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "review/requests.h"
#include "tensor/tensor.h"  // yp::Error

namespace yp::review {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSettingsFile = "review.json";

std::string folder_key(const std::string& path) { return fs::weakly_canonical(fs::absolute(path)).string(); }

std::string now_text() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&t, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

std::string file_stamp(const std::string& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  const auto size = fs::file_size(path, ec);
  return path + "|" + std::to_string(t.time_since_epoch().count()) + "|" + std::to_string(ec ? 0 : size);
}

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::Unseen: return "unseen";
    case Status::Reviewed: return "reviewed";
    case Status::Labelled: return "labelled";
  }
  return "unseen";
}

Project::Project(const ProjectOptions& options) : options_(options) {
  if (options_.micrographs.empty()) throw Error("--micrographs is required (a folder, a glob or files)");
  if (!options_.picks_dir.empty() && !fs::is_directory(options_.picks_dir))
    throw Error(options_.picks_dir + ": --picks is not a folder");
  if (!options_.labels_dir.empty() && fs::exists(options_.labels_dir) && !fs::is_directory(options_.labels_dir))
    throw Error(options_.labels_dir + ": --labels is not a folder");

  std::set<std::string> micrograph_dirs, label_dirs;
  for (const std::string& path : expand_micrographs(options_.micrographs)) {
    Micrograph m;
    m.path = path;
    m.name = fs::path(path).stem().string();
    m.label_path = options_.labels_dir.empty() ? train_label_path(path)
                                               : (fs::path(options_.labels_dir) / (m.name + ".txt")).string();
    try {
      std::tie(m.width, m.height) = micrograph_size(path);
    } catch (const std::exception& e) {
      m.error = e.what();
    }
    micrograph_dirs.insert(folder_key(fs::path(path).parent_path().string()));
    const std::string label_dir = fs::path(m.label_path).parent_path().string();
    if (label_dirs.insert(folder_key(label_dir)).second) label_dirs_.push_back(folder_key(label_dir));
    by_name_[m.name] = micrographs_.size();
    micrographs_.push_back(std::move(m));
  }

  if (!options_.out_dir.empty()) {
    out_dir_ = options_.out_dir;
  } else if (!options_.picks_dir.empty()) {
    out_dir_ = (fs::path(options_.picks_dir) / "reviewed").string();
  } else {
    const fs::path labels = fs::path(micrographs_.front().label_path).parent_path();
    out_dir_ = (fs::absolute(labels).lexically_normal().parent_path() / "reviewed").string();
  }
  // The outputs are named as `pick` names them (NAME.txt, NAME.csv, ...): they must not land among the
  // micrographs, the labels or the picks they were made from.
  const std::string out_key = folder_key(out_dir_);
  if (micrograph_dirs.count(out_key) || label_dirs.count(out_key) ||
      (!options_.picks_dir.empty() && folder_key(options_.picks_dir) == out_key))
    throw Error(out_dir_ + ": the output folder must differ from the micrograph, label and picks folders "
                "(give another one with --out)");

  if (!options_.model_path.empty()) model_ = load_review_model(options_.model_path, options_.apix);
  if (!options_.class_names.empty()) names_ = options_.class_names;
  else if (model_) names_ = model_class_names(*model_);
  else if (!options_.data_yaml.empty()) names_ = dataset_class_names(options_.data_yaml);
  if (names_.empty()) names_ = {"particle"};

  const std::string settings = (fs::path(out_dir_) / kSettingsFile).string();
  if (fs::exists(settings)) threshold_ = decode_settings(read_text(settings), settings).threshold;
}

const Micrograph* Project::find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &micrographs_[it->second];
}

std::vector<std::string> Project::class_names() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  return names_;
}

double Project::threshold() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  return threshold_;
}

std::string Project::labels_description() const {
  if (!options_.labels_dir.empty()) return options_.labels_dir;
  return label_dirs_.size() == 1 ? label_dirs_.front() + " (where train looks)"
                                 : "beside each micrograph's images/ folder, in labels/ (where train looks)";
}

std::pair<double, double> Project::typical_box(int cls) const {
  std::vector<double> w, h;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    for (const auto& [name, cached] : cache_)
      for (const Pick& p : cached.boxes.picks)
        if (p.cls == cls && p.w > 0 && p.h > 0) w.push_back(p.w), h.push_back(p.h);
  }
  if (w.empty()) return {options_.box_size, options_.box_size};
  std::nth_element(w.begin(), w.begin() + w.size() / 2, w.end());
  std::nth_element(h.begin(), h.begin() + h.size() / 2, h.end());
  return {w[w.size() / 2], h[h.size() / 2]};
}

Status Project::status(const Micrograph& m) const {
  if (fs::exists(m.label_path)) return Status::Labelled;
  if (reviewed_done(out_dir_, m.path)) return Status::Reviewed;
  return Status::Unseen;
}

void Project::note_classes(const std::vector<Pick>& picks) const {
  int top = -1;
  for (const Pick& p : picks) top = std::max(top, p.cls);
  std::lock_guard<std::mutex> lock(state_mutex_);
  while (static_cast<int>(names_.size()) <= top) names_.push_back("class " + std::to_string(names_.size()));
}

LoadedBoxes Project::read_boxes(const Micrograph& m) const {
  if (!m.error.empty()) throw Error(m.error);
  LoadedBoxes out;
  const std::string reviewed = reviewed_cbox_path(out_dir_, m.path);
  const bool has_label = fs::exists(m.label_path);
  const std::string picks = options_.picks_dir.empty() ? "" : find_pick_file(options_.picks_dir, m.name);
  if (fs::exists(reviewed)) {
    out.source = "reviewed";
    out.source_path = reviewed;
    out.picks = read_pick_file(reviewed, m.width, m.height, options_.box_size).picks;
  } else if (has_label) {
    out.source = "labels";
    out.source_path = m.label_path;
    out.picks = read_label_file(m.label_path, m.width, m.height).picks;
  } else if (!picks.empty()) {
    out.source = "picks";
    out.source_path = picks;
    out.picks = read_pick_file(picks, m.width, m.height, options_.box_size).picks;
  } else {
    out.source = "none";
  }
  for (Pick& p : out.picks) {
    if (p.w <= 0 || p.h <= 0)
      throw Error(out.source_path + ": the file gives no box size (RELION STAR): start the review with --box PX");
    if (p.cls < 0) p.cls = 0;
    if (p.cls >= kMaxClasses)
      throw Error(out.source_path + ": class " + std::to_string(p.cls) + " (at most " + std::to_string(kMaxClasses) +
                  " classes)");
  }
  out.label = has_label || (out.source != "reviewed" && default_label());
  note_classes(out.picks);
  return out;
}

LoadedBoxes Project::cached_boxes(const Micrograph& m) const {
  // The stamp covers every file that decides the answer, so a save (or another program) invalidates it.
  const std::string picks = options_.picks_dir.empty() ? "" : find_pick_file(options_.picks_dir, m.name);
  const std::string stamp = file_stamp(reviewed_cbox_path(out_dir_, m.path)) + file_stamp(m.label_path) +
                            (picks.empty() ? "" : file_stamp(picks));
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    const auto it = cache_.find(m.name);
    if (it != cache_.end() && it->second.stamp == stamp) return it->second.boxes;
  }
  LoadedBoxes boxes = read_boxes(m);
  std::lock_guard<std::mutex> lock(state_mutex_);
  cache_[m.name] = {stamp, boxes};
  return boxes;
}

LoadedBoxes Project::load(const Micrograph& m) const { return cached_boxes(m); }

Summary Project::summary(const Micrograph& m, double threshold) const {
  Summary s;
  s.status = status(m);
  const size_t nc = class_names().size();
  s.counts.assign(nc, 0);
  try {
    const LoadedBoxes boxes = cached_boxes(m);
    s.source = boxes.source;
    for (const Pick& p : boxes.picks) {
      if (p.confidence < threshold) ++s.below;
      else if (static_cast<size_t>(p.cls) < s.counts.size()) ++s.counts[p.cls];
      else s.counts.resize(p.cls + 1, 0), ++s.counts[p.cls];  // read_boxes keeps 0 <= cls < kMaxClasses
    }
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  return s;
}

void Project::check_writable(const std::string& path) const {
  const std::string dir = folder_key(fs::path(path).parent_path().string());
  const bool allowed = dir == folder_key(out_dir_) || std::find(label_dirs_.begin(), label_dirs_.end(), dir) != label_dirs_.end();
  if (!allowed) throw Error(path + ": outside the folders this session writes to");
}

SaveResult Project::save(const Micrograph& m, const std::vector<Pick>& picks, double threshold, bool label) {
  if (!m.error.empty()) throw Error(m.error);
  note_classes(picks);
  const std::vector<std::string> names = class_names();
  MicrographPicks mic;
  mic.micrograph = m.name;
  mic.width = m.width;
  mic.height = m.height;
  mic.picks = picks;

  std::lock_guard<std::mutex> lock(write_mutex_);
  SaveResult result;
  check_writable(reviewed_cbox_path(out_dir_, m.path));
  fs::create_directories(out_dir_);
  result.files = write_reviewed_picks(out_dir_, m.path, mic, threshold, names);
  std::vector<std::string> paths;
  for (const Micrograph& other : micrographs_) paths.push_back(other.path);
  write_reviewed_index(paths, out_dir_, ".");
  result.files.push_back((fs::path(out_dir_) / "autopick.star").string());
  check_writable(m.label_path);
  if (label) {
    fs::create_directories(fs::path(m.label_path).parent_path());
    write_label_file(m.label_path, mic, threshold);
    result.files.push_back(m.label_path);
  } else if (fs::exists(m.label_path)) {
    fs::remove(m.label_path);  // no longer a training label; its boxes stay in the reviewed .cbox
  }
  result.status = status(m);
  result.saved_at = now_text();
  return result;
}

int Project::export_reviewed(double threshold) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  fs::create_directories(out_dir_);
  int count = 0;
  const std::vector<std::string> names = class_names();
  for (const Micrograph& m : micrographs_) {
    if (!m.error.empty() || !reviewed_done(out_dir_, m.path)) continue;
    const MicrographPicks mic = read_pick_file(reviewed_cbox_path(out_dir_, m.path), m.width, m.height, 0);
    write_reviewed_picks(out_dir_, m.path, mic, threshold, names);
    ++count;
  }
  write_text_atomic((fs::path(out_dir_) / kSettingsFile).string(), encode_settings({threshold}));
  std::lock_guard<std::mutex> state(state_mutex_);
  threshold_ = threshold;
  return count;
}

std::vector<Pick> Project::pick(const Micrograph& m) const {
  if (!model_) throw Error("no model: start the review with --model to pick");
  if (!m.error.empty()) throw Error(m.error);
  std::lock_guard<std::mutex> lock(model_mutex_);  // one forward at a time: the CPU is shared anyway
  return pick_micrograph(*model_, m.path);
}

Gray8 Project::view(const Micrograph& m, ViewKind kind) const {
  if (!m.error.empty()) throw Error(m.error);
  return read_view(m.path, kind, model_.get());
}

}  // namespace yp::review
