// pick_run.h: `yolopick pick` over thousands of micrographs - the three-stage pipeline, resume and the
// per-micrograph outputs (which micrographs, and a task's share of them: pick_inputs.h).
//
// Pipeline (so the network never waits on disk or pre-processing):
//   reader thread: read micrograph -> network inputs (input pipeline, tiles) -> queue (bounded, 2 items)
//   main thread:   forward + NMS + merge                                 -> queue (bounded, 2 items)
//   writer thread: outputs (temp file + rename each), then the completion record; progress line
// Outputs per micrograph NAME in the output folder (conventions: docs/picking.md, ../shared/picking-facts.md):
//   NAME_autopick.star  RELION centres, class, FOM (>= conf)     NAME.box   EMAN lower-left corners (>= conf)
//   NAME.cbox           crYOLO STAR, EVERY pick >= floor           NAME.csv   x,y,w,h,class,confidence (>= conf)
//   NAME.txt            YOLO class cx cy w h conf, normalised to the micrograph (>= conf)
//   NAME.png            the micrograph with boxes in class colours and confidences (>= conf)
// and autopick.star, the RELION 4 index over every micrograph of the input list that is done, paths relative to
// the project folder, and particles.star, every pick >= conf of those micrographs in one table (cryoSPARC's
// import), both rewritten at the end of every run (so the last task of an array job leaves them complete).
// A micrograph is done when its completion record OUT/.yolopick-done/NAME.done (written after its outputs: each
// output's size and SHA-256) lists every output the run needs and each file still matches it; resume and the
// index both ask outputs_done, so a damaged or partial set is picked again and never indexed.
#pragma once
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "picker/pipeline/pick.h"
#include "picker/pipeline/pick_inputs.h"

namespace yp::picker {

inline constexpr const char* kDoneRecordFolder = ".yolopick-done";

struct MicrographOutputs {
  std::string star, box, cbox, csv, txt, png;
  std::string record;  // the completion record (above)
};
// Flat: every file in the output folder (NAME_autopick.star, NAME.box, ...). Cryolo: crYOLO's folders - STAR/NAME.star,
// EMAN/NAME.box, CBOX/NAME.cbox, CSV/NAME.csv, YOLO/NAME.txt, PNG/NAME.png (pick --layout cryolo).
enum class OutputLayout { Flat, Cryolo };
MicrographOutputs outputs_for(const std::string& out_dir, const std::string& micrograph,
                              OutputLayout layout = OutputLayout::Flat);
// True when the completion record lists every output (the PNG too when with_png) and each file has the recorded
// size and SHA-256: the micrograph needs no work.
bool outputs_done(const MicrographOutputs& out, bool with_png);

// The annotated PNG's picture: the micrograph in 8-bit grey (0.5/99.5 % contrast), at full size or shrunk so
// its longer side is `max_side` px (0 = full size); the boxes are drawn at the picture's scale.
struct PickPicture {
  int width = 0, height = 0;
  std::vector<uint8_t> grey;  // empty: no PNG
};
PickPicture make_pick_picture(const imgproc::Image& micrograph, int max_side);

// Writes the outputs of one micrograph (the PNG when `picture` has pixels). With `split_classes_of` (the
// micrograph's entry), also OUT/classK_NAME/MICROGRAPH_autopick.star per class (pick --split-classes).
void write_micrograph_outputs(const MicrographOutputs& out, const MicrographPicks& all_picks, const ConfThreshold& conf,
                              const std::vector<std::string>& names, const PickPicture& picture,
                              const std::string& split_classes_of = "");
// The per-class folder of --split-classes: "class1_top" (RELION's 1-based class number and the class name).
std::string class_folder(const std::vector<std::string>& names, int cls);

struct PickRunOptions {
  std::vector<std::string> inputs;  // as expand_micrograph_inputs returns them (all tasks of the job)
  std::string out_dir;
  imgproc::ReadOptions read;  // --section (for files given without "K@"), --permissive
  PickOptions pick;
  double apix = 0;  // A/px of the micrographs, overriding their headers (yolo::set_pixel_size); 0 = the files'
  int shard_index = 0, shard_count = 1;
  bool skip_done = true;
  bool write_png = true;
  // The annotated PNG is a preview: its longer side is at most this (0 = the micrograph's size). A 2048^2
  // micrograph at full size is an 8 MB PNG that takes 0.35 s to encode, longer than reading, pre-processing
  // and detecting it together (docs/perf.md).
  int png_max_side = 1024;
  std::string project_dir = ".";  // the index's paths are relative to this (the RELION project)
  bool split_classes = false;     // also a folder per class with its STAR files and autopick.star
  OutputLayout layout = OutputLayout::Flat;
  bool plots = true;              // OUT/DISTR/confidence.png and picks_per_micrograph.png
  bool progress = true;
};

struct PickRunSummary {
  int inputs = 0, in_shard = 0, already_done = 0, picked = 0;
  std::vector<std::string> redone;              // had outputs that did not verify: picked again
  std::vector<std::string> failures;            // "path: problem"
  std::vector<std::string> not_written;         // micrographs whose outputs could not be written (full disk)
  int swept = 0;                                // temporary files of killed writers removed at the start
  std::vector<long> picks_per_class;            // >= conf
  std::vector<int> picks_per_micrograph;        // >= conf, micrographs picked in this run
  int capped = 0;                               // micrographs where a per-input cap cut boxes (each warned)
  double seconds = 0;
  int index_entries = 0;
  int particles = 0;  // rows of particles.star
};

PickRunSummary run_pick(const yolo::Detector& model, const PickRunOptions& options, std::FILE* log);
void print_summary(const PickRunSummary& s, const std::vector<std::string>& names, std::FILE* log);

// Throws yp::Error before any work when a path the index will hold has a space (RELION's STAR cannot hold it),
// naming the output folder or the micrograph that has it. run_pick calls it first.
void check_index_paths(const std::vector<std::string>& inputs, const std::string& out_dir,
                       const std::string& project_dir);
// PATH as seen from the project folder (RELION's paths): relative when it can be, after resolving both from the
// working directory (symbolic links, ".."), absolute otherwise.
std::string project_relative(const std::string& path, const std::string& project_dir);

// The micrographs of `inputs` whose outputs are done (outputs_done: every file verified against its record), in
// order. run_pick asks once at the end and gives the list to each writer below, so each output is hashed once.
std::vector<std::string> done_micrographs(const std::vector<std::string>& inputs, const std::string& out_dir,
                                         bool with_png, OutputLayout layout = OutputLayout::Flat);
// Rewrites OUT/autopick.star over the done micrographs (done_micrographs). Returns the entry count.
int write_pick_index(const std::vector<std::string>& done, const std::string& out_dir, const std::string& project_dir,
                     OutputLayout layout = OutputLayout::Flat);
// The same per class into STARDIR/classK_NAME/autopick.star (--split-classes; STARDIR: where the STAR files are).
void write_split_indexes(const std::vector<std::string>& done, const std::string& out_dir,
                         const std::string& project_dir, const std::vector<std::string>& names,
                         OutputLayout layout = OutputLayout::Flat);
// Rewrites OUT/particles.star (formats_star.h write_star_particles) from the done micrographs' STAR files, micrograph
// names relative to the project: the one file cryoSPARC imports. Returns the number of particles.
int write_combined_particles(const std::vector<std::string>& done, const std::string& out_dir,
                             const std::string& project_dir, OutputLayout layout = OutputLayout::Flat);
// OUT/DISTR/confidence.png (every pick >= the floor in the done micrographs' .cbox, the lowest threshold marked) and
// OUT/DISTR/picks_per_micrograph.png (their STAR files' picks, >= conf): is the threshold in the valley, are some
// micrographs empty or crowded? (pick_report.cpp)
void write_distribution_plots(const std::vector<std::string>& done, const std::string& out_dir,
                              const ConfThreshold& conf, const std::vector<std::string>& names,
                              OutputLayout layout = OutputLayout::Flat);

}  // namespace yp::picker
