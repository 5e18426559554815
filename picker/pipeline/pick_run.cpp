// pick_run.cpp: the pick run - reader thread -> network on this thread -> writer thread, joined by bounded
// queues; progress with ETA; failures reported and skipped (pick_run.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "imgproc/image_io.h"
#include "imgproc/normalize.h"
#include "picker/pipeline/pick_run.h"
#include "util/atomic_file.h"
#include "util/output_lock.h"

namespace yp::picker {

namespace {

// A queue of at most `capacity` items: push waits while it is full (back-pressure on the faster stage), pop
// waits while it is empty and returns nothing once the producer closed it and it ran dry.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  void push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    not_empty_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  size_t capacity_;
  std::deque<T> items_;
  bool closed_ = false;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
};

struct Prepared {
  std::string path;
  std::string error;  // non-empty: reading or pre-processing failed
  std::vector<std::string> warnings;  // what --permissive tolerated in the file
  PreparedMicrograph micrograph;
  PickPicture picture;  // empty without --png
};

struct Picked {
  std::string path;
  MicrographPicks picks;
  PickPicture picture;
};

std::string duration_text(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

class Progress {
 public:
  Progress(int total, bool enabled, std::FILE* log)
      : total_(total), enabled_(enabled && log), log_(log), tty_(log && ::isatty(::fileno(log))),
        start_(std::chrono::steady_clock::now()) {}
  void update(int done, int failed, long picks) {
    if (!enabled_ || total_ == 0) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!tty_ && done < total_ && s - last_ < 10) return;  // a log file gets a line every 10 s
    last_ = s;
    const double rate = done / std::max(s, 1e-9);
    const int width = 30, filled = width * done / total_;
    std::fprintf(log_, "%s[%s%s] %d/%d  %.2f mic/s  ETA %s  picks %ld  failed %d%s", tty_ ? "\r" : "",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total_, rate,
                 duration_text(done ? (total_ - done) / rate : -1).c_str(), picks, failed, tty_ ? "" : "\n");
    if (tty_ && done == total_) std::fputc('\n', log_);
    std::fflush(log_);
  }

 private:
  int total_;
  bool enabled_;
  std::FILE* log_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  double last_ = -1e9;
};

}  // namespace

PickRunSummary run_pick(const yolo::Detector& model, const PickRunOptions& o, std::FILE* log) {
  const auto t0 = std::chrono::steady_clock::now();
  PickRunSummary s;
  s.inputs = (int)o.inputs.size();
  check_index_paths(o.inputs, o.out_dir, o.project_dir);  // before anything is created
  std::filesystem::create_directories(o.out_dir);
  // One run per folder and shard: a second copy is refused, naming the holder (util/output_lock.h).
  const std::string shard = std::to_string(o.shard_index) + "-of-" + std::to_string(o.shard_count);
  const OutputLock lock(o.out_dir, ".yolopick-pick-" + shard + ".lock",
                        "pick shard " + std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count));
  // What writers killed on this host left behind (util/atomic_file.h); live writers' files are left alone.
  s.swept = sweep_temporary_files(o.out_dir) + sweep_temporary_files(o.out_dir + "/" + kDoneRecordFolder);
  {
    const MicrographOutputs where = outputs_for(o.out_dir, "x", o.layout);  // the folders of the layout
    for (const std::string* f : {&where.star, &where.box, &where.cbox, &where.csv, &where.txt, &where.png})
      if (f != &where.png || o.write_png) {
        const std::filesystem::path folder = std::filesystem::path(*f).parent_path();
        std::filesystem::create_directories(folder);
        if (folder != std::filesystem::path(o.out_dir)) s.swept += sweep_temporary_files(folder.string());
      }
  }
  std::vector<std::string> todo;
  for (const std::string& m : shard_inputs(o.inputs, o.shard_index, o.shard_count)) {
    ++s.in_shard;
    const MicrographOutputs out = outputs_for(o.out_dir, m, o.layout);
    if (o.skip_done && outputs_done(out, o.write_png)) {
      ++s.already_done;
    } else {
      todo.push_back(m);
      if (o.skip_done && std::filesystem::exists(out.star)) s.redone.push_back(m);
    }
  }
  if (log && s.already_done)
    std::fprintf(log, "%d of %d micrographs already done in %s, skipped\n", s.already_done, s.in_shard,
                 o.out_dir.c_str());
  if (log && !s.redone.empty())
    std::fprintf(log, "%zu micrograph(s) have outputs that do not match a completion record (interrupted, damaged, "
                 "or written by an older yolopick): picked again, e.g. %s\n", s.redone.size(), s.redone[0].c_str());
  s.picks_per_class.assign(model.nc(), 0);

  BoundedQueue<Prepared> prepared(2);
  BoundedQueue<Picked> picked(2);
  std::mutex summary_mutex;
  long total_picks = 0;
  Progress progress((int)todo.size(), o.progress, log);

  std::thread reader([&] {
    for (const std::string& path : todo) {
      Prepared p;
      p.path = path;
      try {
        const MicrographRef ref = parse_micrograph_entry(path);
        imgproc::ReadOptions read = o.read;
        if (ref.section >= 0) read.mrc.section = ref.section;
        imgproc::LoadedImage img = imgproc::read_image(ref.file, read);
        p.warnings = img.warnings;
        yolo::set_pixel_size(img, o.apix, model.input(), path);
        p.micrograph = prepare_micrograph(img, model, o.pick);
        if (o.write_png) p.picture = make_pick_picture(img.image, o.png_max_side);
      } catch (const std::exception& e) {
        p.error = e.what();
      }
      prepared.push(std::move(p));
    }
    prepared.close();
  });
  std::thread writer([&] {
    while (std::optional<Picked> item = picked.pop()) {
      try {
        write_micrograph_outputs(outputs_for(o.out_dir, item->path, o.layout), item->picks, o.pick.conf, model.names(),
                                 item->picture, o.split_classes ? item->path : std::string());
        std::lock_guard<std::mutex> lock(summary_mutex);
        int n = 0;
        for (const Pick& k : item->picks.picks)
          if (o.pick.conf.keeps(k) && k.cls >= 0 && k.cls < model.nc()) ++s.picks_per_class[k.cls], ++n;
        s.picks_per_micrograph.push_back(n);
        total_picks += n;
        ++s.picked;
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(summary_mutex);
        s.failures.push_back(item->path + ": writing outputs: " + e.what());
        s.not_written.push_back(item->path);
      }
      std::lock_guard<std::mutex> lock(summary_mutex);
      progress.update(s.picked + (int)s.failures.size(), (int)s.failures.size(), total_picks);
    }
  });

  while (std::optional<Prepared> item = prepared.pop()) {
    for (const std::string& w : item->warnings)
      if (log) std::fprintf(log, "%snote: %s: %s\n", ::isatty(::fileno(log)) ? "\n" : "", item->path.c_str(), w.c_str());
    if (!item->error.empty()) {
      std::lock_guard<std::mutex> lock(summary_mutex);
      s.failures.push_back(item->error);
      if (log) std::fprintf(log, "%sskipped: %s\n", ::isatty(::fileno(log)) ? "\n" : "", item->error.c_str());
      continue;
    }
    Picked out;
    out.path = item->path;
    const MicrographRef ref = parse_micrograph_entry(item->path);
    out.picks.micrograph = std::filesystem::path(ref.file).filename().string();
    if (ref.section >= 0) out.picks.micrograph = section_entry(out.picks.micrograph, ref.section);
    out.picks.width = item->micrograph.width;
    out.picks.height = item->micrograph.height;
    try {
      yolo::NmsCapped capped;
      out.picks.picks = detect_prepared(item->micrograph, model, o.pick, &capped);
      if (capped.any()) {
        std::lock_guard<std::mutex> lock(summary_mutex);
        ++s.capped;
        if (log)
          std::fprintf(log, "%s%s\n", ::isatty(::fileno(log)) ? "\n" : "",
                       cap_warning(item->path, capped, o.pick, (int)item->micrograph.inputs.size()).c_str());
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(summary_mutex);
      s.failures.push_back(item->path + ": " + e.what());
      continue;
    }
    out.picture = std::move(item->picture);
    picked.push(std::move(out));
  }
  picked.close();
  reader.join();
  writer.join();
  const std::vector<std::string> done = done_micrographs(o.inputs, o.out_dir, o.write_png, o.layout);
  s.index_entries = write_pick_index(done, o.out_dir, o.project_dir, o.layout);
  if (o.split_classes) write_split_indexes(done, o.out_dir, o.project_dir, model.names(), o.layout);
  s.particles = write_combined_particles(done, o.out_dir, o.project_dir, o.layout);
  if (o.plots) write_distribution_plots(done, o.out_dir, o.pick.conf, model.names(), o.layout);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

void print_summary(const PickRunSummary& s, const std::vector<std::string>& names, std::FILE* log) {
  if (!log) return;
  std::fprintf(log, "picked %d micrograph(s) in %.1f s (%.2f mic/s); %d already done; %d failed; shard has %d of %d\n",
               s.picked, s.seconds, s.picked / std::max(s.seconds, 1e-9), s.already_done, (int)s.failures.size(),
               s.in_shard, s.inputs);
  long total = 0;
  for (size_t k = 0; k < s.picks_per_class.size(); ++k) {
    std::fprintf(log, "  class %zu %-12s %ld picks\n", k, k < names.size() ? names[k].c_str() : "", s.picks_per_class[k]);
    total += s.picks_per_class[k];
  }
  if (!s.picks_per_micrograph.empty()) {
    std::vector<int> v = s.picks_per_micrograph;
    std::sort(v.begin(), v.end());
    std::fprintf(log, "  per micrograph: min %d, median %d, max %d, mean %.1f\n", v.front(), v[v.size() / 2], v.back(),
                 double(total) / v.size());
  }
  if (s.capped)
    std::fprintf(log, "  WARNING: a per-input cap cut boxes on %d micrograph(s) (named above): raise --max-det\n",
                 s.capped);
  for (const std::string& f : s.failures) std::fprintf(log, "  FAILED %s\n", f.c_str());
  if (!s.not_written.empty()) {
    std::fprintf(log, "  NOT WRITTEN (outputs incomplete; the next run picks them again):");
    for (const std::string& m : s.not_written) std::fprintf(log, " %s", m.c_str());
    std::fprintf(log, "\n");
  }
  std::fprintf(log, "  autopick.star lists %d micrograph(s); particles.star %d particle(s)\n", s.index_entries,
               s.particles);
}

}  // namespace yp::picker
