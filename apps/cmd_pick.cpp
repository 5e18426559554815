// cmd_pick.cpp: `yolopick pick` - a trained model over many micrographs: the input pipeline its training used (as
// the model file records it), detection (tiles at the model's physical scale when it records one; else the whole
// micrograph, or tiles at native resolution), picks in the micrographs' pixels, written as
// RELION STAR + autopick.star, EMAN .box, crYOLO .cbox, CSV, YOLO txt and an annotated PNG.
// The library part is picker/pipeline/ (pick.h, pick_run.h); conventions and examples: docs/picking.md.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/run_record.h"
#include "picker/pipeline/pick_run.h"
#include "yolo/tta.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::app {

static const char* kPickUsage =
    "usage: yolopick pick -m MODEL MICROGRAPHS... -o DIR [options]\n"
    "example: yolopick pick -m models/klh_yolov5n.safetensors Micrographs/*.mrc -o picks -t 0.3\n"
    "  -m, --model PATH    yolopick model file (.safetensors) or YOLOv5 .pt\n"
    "  MICROGRAPHS         (or -i, --input) micrographs (.mrc .mrcs .tif .tiff .png .jpg), folders, globs\n"
    "                      ('mics/*.mrc') or list files (.txt/.lst: one path per line); several may follow\n"
    "  --section K         the section K (0-based) of every MRC stack / TIFF page; default: each stack section is\n"
    "                      its own micrograph (K@stack.mrcs, RELION's 1-based notation; outputs stack_K.*), and\n"
    "                      a multi-page TIFF is summed\n"
    "  --permissive        read MRC files that break the standard (no MAP stamp, odd machine stamp or axis order,\n"
    "                      fewer sections than NZ) and set NaN/Inf pixels to 0, each noted once\n"
    "  -o DIR              output folder: NAME_autopick.star, NAME.box, NAME.cbox, NAME.csv, NAME.txt, NAME.png,\n"
    "                      autopick.star (RELION 4 index) and particles.star (all picks: cryoSPARC's import)\n"
    "  --split-classes     also OUT/class1_top/, OUT/class2_side/...: each class's STAR files and autopick.star\n"
    "  --layout cryolo     crYOLO's folders: OUT/STAR/NAME.star, EMAN/NAME.box, CBOX/NAME.cbox, CSV/, YOLO/, PNG/\n"
    "                      (default flat: every file in OUT)\n"
    "  --no-plots          skip OUT/DISTR/confidence.png and picks_per_micrograph.png (the run's distributions)\n"
    "  --apix A            pixel size of the micrographs (A/px), overriding their MRC headers; required for\n"
    "                      PNG/JPEG/TIFF when the model records a scale (it resamples micrographs to its own)\n"
    "  -t, --conf T        confidence threshold of every output but the .cbox, for every class (default: the\n"
    "                      model's calibrated per-class thresholds (yolopick calibrate), else 0.25)\n"
    "  --floor T           the .cbox keeps every pick >= T, to re-threshold later (default 0.01)\n"
    "  --iou T             NMS IoU threshold, also across tiles (default 0.45)\n"
    "  --per-class-nms     classes do not suppress each other (YOLOv5 detect.py); default: one pick per\n"
    "                      particle, the best class of overlapping boxes\n"
    "  --classes LIST      indices to keep (0,1) or the class names the model must have (top,side)\n"
    "  --min-distance PX   minimum distance between picked centres, original pixels (default 0: off)\n"
    "  --edge-margin PX    drop centres closer than PX to the micrograph border (default 0)\n"
    "  --chain STEPS       replace the pre-processing the model records: 'default' (the study's chain), 'off' or\n"
    "                      a list (resize,wavelet,wiener,clahe,normalize); default: exactly what its training used\n"
    "  --tile              models without a scale: tile at native resolution (tiles of the model's input size)\n"
    "                      instead of resizing; a model with a scale is always tiled at its scale\n"
    "  --overlap PX        tile overlap, px at the network (default: 1.5 particle diameters when the model knows\n"
    "                      its particle, else 256; at least one particle diameter)\n"
    "  --max-det N         at most N picks per network input (default 3000)\n"
    "  --tta               test-time augmentation: each network input also flipped and turned (8 views, 8x the\n"
    "                      network time), the views' boxes fused by weighted boxes fusion (docs/picking.md)\n"
    "  --shard I/N         this task's share of the inputs (0 <= I < N), for cluster job arrays\n"
    "  --project DIR       autopick.star paths are relative to DIR (the RELION project; default .)\n"
    "  --no-png            skip the annotated PNG\n"
    "  --png-size PX       longer side of the annotated PNG (default 1024; 0 = the micrograph's size)\n"
    "  --redo              pick micrographs again even when their outputs exist\n"
    "  --force             the folder's run.json records other settings: redo every micrograph with these\n"
    "                      (without it such a run is refused, each difference named)\n"
    "  --quiet             no progress line\n"
    "Exit code 1 when a micrograph could not be picked (each is named; the others are done).\n";

int cmd_pick(const Args& args) {
  picker::PickRunOptions run;
  std::string model_path;
  std::vector<std::string> specs, classes;
  std::string chain_steps;
  double conf = -1;  // < 0: not given (the model's calibrated thresholds, else 0.25)
  bool force = false;
  ArgReader r(args, "pick");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kPickUsage);
      return 0;
    } else if (r.is("--model", "-m")) model_path = r.value();
    else if (r.is("--input", "-i")) {
      for (std::string& s : r.values()) specs.push_back(std::move(s));
    } else if (r.positional()) specs.push_back(r.arg());
    else if (r.is("-o", "--output")) run.out_dir = r.value();
    else if (r.is("--section")) run.read.mrc.section = r.integer(0, 1000000);
    else if (r.is("--permissive")) run.read.mrc.permissive = true;
    else if (r.is("--apix")) run.apix = r.number();
    else if (r.is("--conf", "-t")) conf = r.fraction();
    else if (r.is("--floor")) run.pick.floor = r.number();
    else if (r.is("--iou")) run.pick.iou = r.number();
    else if (r.is("--per-class-nms")) run.pick.agnostic = false;
    else if (r.is("--classes")) classes = split_char(r.value(), ',');
    else if (r.is("--min-distance")) run.pick.min_distance = r.number_in(0, 50000);  // px; 50000 = no micrograph
    else if (r.is("--edge-margin")) run.pick.edge_margin = r.number_in(0, 50000);
    else if (r.is("--chain")) chain_steps = r.value();
    else if (r.is("--tile")) run.pick.mode = picker::PickMode::Tile;
    else if (r.is("--overlap")) run.pick.tile_overlap = int(r.number());
    else if (r.is("--max-det")) run.pick.max_det = int(r.number());
    else if (r.is("--tta")) run.pick.tta = true;
    else if (r.is("--shard")) std::tie(run.shard_index, run.shard_count) = picker::parse_shard(r.value());
    else if (r.is("--project")) run.project_dir = r.value();
    else if (r.is("--split-classes")) run.split_classes = true;
    else if (r.is("--no-plots")) run.plots = false;
    else if (r.is("--layout")) {
      const std::string l = r.value();
      if (l == "flat") run.layout = picker::OutputLayout::Flat;
      else if (l == "cryolo") run.layout = picker::OutputLayout::Cryolo;
      else throw Error("--layout: expected flat or cryolo, got '" + l + "'");
    }
    else if (r.is("--no-png")) run.write_png = false;
    else if (r.is("--png-size")) run.png_max_side = r.integer(0, 65536);
    else if (r.is("--redo")) run.skip_done = false;
    else if (r.is("--force")) force = true;
    else if (r.is("--quiet")) run.progress = false;
    else r.unknown();
  }
  if (model_path.empty()) throw Error("-m MODEL is required (yolopick pick --help)");
  if (specs.empty()) throw Error("no micrographs given: name them after the options (yolopick pick --help)");
  if (run.out_dir.empty()) throw Error("-o DIR is required (yolopick pick --help)");
  if (!(run.pick.iou > 0 && run.pick.iou <= 1)) throw Error("--iou must lie in (0, 1]");
  if (run.pick.max_det < 1) throw Error("--max-det must be >= 1");
  if (run.apix < 0 || run.apix > 1000) throw Error("--apix must lie in (0, 1000] A/px");

  yolo::Detector model = yolo::load_detector(model_path);
  std::string conf_source;
  run.pick.conf = picker::default_conf_threshold(model.info, conf, &conf_source);
  if (!(run.pick.floor > 0 && run.pick.floor <= run.pick.conf.lowest()))
    throw Error("--floor must lie in (0, " + fmt(run.pick.conf.lowest(), 3) + "] (the lowest confidence threshold)");
  std::vector<std::string> notes;
  if (std::string note = yolo::input_note(model.input(), model_path); !note.empty())
    notes.push_back(model.input().rule == yolo::InputRule::Yolov5 ? note + " (--chain default applies the study's chain)"
                                                                  : note);
  if (!chain_steps.empty()) {
    yolo::set_chain(model.info.input, chain_steps);
    notes.push_back("--chain " + chain_steps + " replaces the pre-processing " + model_path +
                    " records: its inputs differ from what its training saw");
  }
  const yolo::InputPipeline& input = model.input();
  run.pick.keep_classes = picker::resolve_classes(classes, model, model_path);
  const bool tiles = input.scaled() || run.pick.mode == picker::PickMode::Tile;
  if (tiles && run.pick.tile_overlap >= input.size)
    throw Error("--overlap must lie in [0, " + std::to_string(input.size) + ") (the model's input size)");
  if (input.scaled() && run.pick.tile_overlap >= 0 && run.pick.tile_overlap < input.particle_pixels())
    notes.push_back("--overlap " + std::to_string(run.pick.tile_overlap) + " is less than a particle (" +
                    std::to_string(int(std::ceil(input.particle_pixels()))) +
                    " px at the network): particles on tile boundaries may be cut in every tile");
  if (!input.scaled() && run.apix > 0)
    notes.push_back("--apix is not used: " + model_path + " records no scale to resample micrographs to");
  picker::InputOptions input_options;
  input_options.section = run.read.mrc.section;
  input_options.permissive = run.read.mrc.permissive;
  run.inputs = picker::expand_micrograph_inputs(specs, input_options);
  if (input.scaled() && run.apix <= 0)  // pictures carry no pixel size: refuse before any work
    for (const std::string& m : run.inputs) {
      const std::string ext = lower_extension(picker::parse_micrograph_entry(m).file);
      if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff")
        throw Error(m + ": a picture states no pixel size and " + model_path + " works at " +
                    yolo::scale_text(input) + ": give --apix (A per pixel of the micrographs)");
    }
  namespace fs = std::filesystem;
  for (const std::string& m : run.inputs)
    if (const fs::path folder = fs::path(picker::parse_micrograph_entry(m).file).parent_path();
        fs::exists(run.out_dir) && fs::equivalent(folder.empty() ? "." : folder, run.out_dir))
      throw Error(m + ": the output folder is the micrograph's own folder; its outputs could overwrite inputs");

  std::string class_list;
  for (const std::string& c : classes) class_list += (class_list.empty() ? "" : ",") + c;
  // run.json: what shapes the outputs (not the inputs, progress, the shard or --permissive: those only add
  // micrographs to the same run).
  const Settings settings = {
      {"model", fs::weakly_canonical(fs::absolute(model_path)).string()},
      {"model_bytes", std::to_string(fs::file_size(model_path))},
      {"conf", run.pick.conf.per_class.empty() ? setting(run.pick.conf.all) : run.pick.conf.str(model.names())},
      {"floor", setting(run.pick.floor)},
      {"iou", setting(run.pick.iou)},
      {"per_class_nms", run.pick.agnostic ? "false" : "true"},
      {"classes", class_list},
      {"min_distance", setting(run.pick.min_distance)},
      {"edge_margin", setting(run.pick.edge_margin)},
      {"chain", chain_steps},
      {"tile", run.pick.mode == picker::PickMode::Tile ? "true" : "false"},
      {"overlap", std::to_string(run.pick.tile_overlap)},
      {"max_det", std::to_string(run.pick.max_det)},
      {"apix", setting(run.apix)},
      {"section", std::to_string(run.read.mrc.section)},
      {"project", fs::weakly_canonical(fs::absolute(run.project_dir)).string()},
      {"png", run.write_png ? std::to_string(run.png_max_side) : "no"},
      {"split_classes", run.split_classes ? "true" : "false"},
      {"layout", run.layout == picker::OutputLayout::Cryolo ? "cryolo" : "flat"},
  };
  // --redo picks everything again: nothing of an earlier run is kept, so its settings do not matter.
  if (record_run(run.out_dir, "pick", settings, args, run.skip_done, force)) {
    run.skip_done = false;
    notes.push_back("--force: every micrograph is picked again with the new settings");
  }

  const std::string mode = input.scaled() ? "tiles at " + yolo::scale_text(input) + " (micrographs at " +
                                                 (run.apix > 0 ? fmt(run.apix, 3) + " A/px, --apix)"
                                                               : "their MRC headers' pixel size)")
                           : tiles ? std::string("tile mode") : std::string("resize mode");
  std::fprintf(stderr, "model %s: %d class(es), %d-channel input %d px (%s%s); %s; %zu micrograph(s), shard %d/%d\n",
               model_path.c_str(), model.nc(), input.channels, input.size, yolo::input_rule_name(input.rule),
               input.chain.empty() ? ", no pre-processing" : ", pre-processing chain", mode.c_str(), run.inputs.size(),
               run.shard_index, run.shard_count);
  std::fprintf(stderr, "confidence threshold: %s (%s)\n", run.pick.conf.str(model.names()).c_str(),
               conf_source.c_str());
  if (run.pick.tta)
    std::fprintf(stderr, "test-time augmentation: every network input in %zu views, fused by weighted boxes fusion\n",
                 yolo::tta_views(input.size, input.size).size());
  for (const std::string& note : notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  const picker::PickRunSummary s = picker::run_pick(model, run, stderr);
  picker::print_summary(s, model.names(), stdout);
  return s.failures.empty() ? 0 : 1;
}

}  // namespace yp::app
