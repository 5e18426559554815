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
#include "picker/pipeline/pick_run.h"
#include "yolo/tta.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::app {

static const char* kPickUsage =
    "usage: yolopick pick --model MODEL --input MICROGRAPHS... -o DIR [options]\n"
    "  --model PATH        yolopick model file (.safetensors) or YOLOv5 .pt\n"
    "  --input SPECS       micrographs (.mrc .mrcs .png .jpg), folders, globs ('mics/*.mrc') or list files\n"
    "                      (.txt/.lst: one path per line); several may follow\n"
    "  -o DIR              output folder: NAME_autopick.star, NAME.box, NAME.cbox, NAME.csv, NAME.txt, NAME.png\n"
    "                      and autopick.star (RELION 4 index)\n"
    "  --apix A            pixel size of the micrographs (A/px), overriding their MRC headers; required for PNG/JPEG\n"
    "                      when the model records a scale (it then resamples every micrograph to its own pixel size)\n"
    "  --conf T            confidence threshold of every output but the .cbox, for every class (default: the\n"
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
    "  --quiet             no progress line\n"
    "Exit code 1 when a micrograph could not be picked (each is named; the others are done).\n";

int cmd_pick(const Args& args) {
  picker::PickRunOptions run;
  std::string model_path;
  std::vector<std::string> specs, classes;
  std::string chain_steps;
  double conf = -1;  // < 0: not given (the model's calibrated thresholds, else 0.25)
  ArgReader r(args, "pick");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kPickUsage);
      return 0;
    } else if (r.is("--model")) model_path = r.value();
    else if (r.is("--input")) {
      for (std::string& s : r.values()) specs.push_back(std::move(s));
    } else if (r.is("-o", "--output")) run.out_dir = r.value();
    else if (r.is("--apix")) run.apix = r.number();
    else if (r.is("--conf")) conf = r.fraction();
    else if (r.is("--floor")) run.pick.floor = r.number();
    else if (r.is("--iou")) run.pick.iou = r.number();
    else if (r.is("--per-class-nms")) run.pick.agnostic = false;
    else if (r.is("--classes")) classes = split_char(r.value(), ',');
    else if (r.is("--min-distance")) run.pick.min_distance = r.number();
    else if (r.is("--edge-margin")) run.pick.edge_margin = r.number();
    else if (r.is("--chain")) chain_steps = r.value();
    else if (r.is("--tile")) run.pick.mode = picker::PickMode::Tile;
    else if (r.is("--overlap")) run.pick.tile_overlap = int(r.number());
    else if (r.is("--max-det")) run.pick.max_det = int(r.number());
    else if (r.is("--tta")) run.pick.tta = true;
    else if (r.is("--shard")) std::tie(run.shard_index, run.shard_count) = picker::parse_shard(r.value());
    else if (r.is("--project")) run.project_dir = r.value();
    else if (r.is("--no-png")) run.write_png = false;
    else if (r.is("--png-size")) run.png_max_side = r.integer(0, 65536);
    else if (r.is("--redo")) run.skip_done = false;
    else if (r.is("--quiet")) run.progress = false;
    else r.unknown();
  }
  if (model_path.empty()) throw Error("--model is required (yolopick pick --help)");
  if (specs.empty()) throw Error("--input is required (yolopick pick --help)");
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
  run.inputs = picker::expand_micrograph_inputs(specs);
  if (input.scaled() && run.apix <= 0)  // pictures carry no pixel size: refuse before any work
    for (const std::string& m : run.inputs) {
      const std::string ext = lower_extension(m);
      if (ext == ".png" || ext == ".jpg" || ext == ".jpeg")
        throw Error(m + ": a picture states no pixel size and " + model_path + " works at " +
                    yolo::scale_text(input) + ": give --apix (A per pixel of the micrographs)");
    }
  namespace fs = std::filesystem;
  for (const std::string& m : run.inputs)
    if (fs::exists(run.out_dir) && fs::equivalent(fs::path(m).parent_path().empty() ? "." : fs::path(m).parent_path(),
                                                  run.out_dir))
      throw Error(m + ": the output folder is the micrograph's own folder; its outputs could overwrite inputs");

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
