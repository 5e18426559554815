// cmd_import.cpp: `yolopick import yolov5n.pt -o yolov5n.safetensors` - an official YOLOv5
// checkpoint into our self-describing model file (yolo/model_file.h), with the load report.
// A model file as input is re-written (e.g. `--fp16` to ship a trained picker at half the size).
// --gray folds the stem's RGB weights into one input channel (micrographs); --nc N transfers to N
// classes (everything but the Detect outputs is kept; those get YOLOv5's bias priors).
#include <cstdio>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "util/error.h"
#include "util/text.h"
#include "yolo/model_file.h"

namespace yp::app {
namespace {

void usage() {
  std::printf(
      "usage: yolopick import CHECKPOINT.pt|MODEL.safetensors -o MODEL.safetensors [options]\n"
      "example: yolopick import yolov5n.pt -o klh.safetensors --gray --nc 2 --names top,side\n"
      "  -o PATH            output model file (required)\n"
      "  (a model file as input: re-written with --fp16 and/or --gray; the other options are for .pt files)\n"
      "  --gray             one input channel: the stem's RGB weights are summed\n"
      "  --nc N             transfer to N classes (new Detect outputs with YOLOv5's bias priors)\n"
      "  --names a,b,...    class names (with --nc; default 0, 1, ...)\n"
      "  --input-size N     network input side recorded in the file (default 640)\n"
      "  --preprocessing S  a pre-processing chain (imgproc's key = value text) recorded in the file: pictures then go\n"
      "                     in by yolopick's letterbox rule with it (default: none, YOLOv5's detect.py letterbox)\n"
      "  --fp16             store float16 (half the size)\n");
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// A model file keeps its classes, input size and pre-processing; only the storage type (and, with --gray,
// the stem) changes.
int rewrite_model_file(const std::string& input, const std::string& output, bool gray, bool fp16) {
  yolo::LoadedModel loaded = yolo::load_model(input, gray ? 1 : 0);
  loaded.model->eval();
  yolo::save_model(output, *loaded.model, loaded.info, fp16 ? DType::F16 : DType::F32);
  std::printf("wrote %s: %d classes (%s), input %d px, %lld parameters, %s\n", output.c_str(), loaded.model->nc(),
              join_names(loaded.info.names).c_str(), loaded.info.input.size,
              (long long)loaded.model->num_parameters(), fp16 ? "float16" : "float32");
  return 0;
}

}  // namespace

int cmd_import(const Args& args) {
  std::string input, output, preprocessing, names;
  int nc = 0, input_size = 640;
  bool gray = false, fp16 = false, input_size_given = false;
  ArgReader r(args, "import");
  while (r.next()) {
    if (r.help()) {
      usage();
      return 0;
    } else if (r.is("-o", "--output")) output = r.value();
    else if (r.is("--gray")) gray = true;
    else if (r.is("--nc")) nc = r.integer(1, 100000);
    else if (r.is("--names")) names = r.value();
    else if (r.is("--input-size")) input_size = r.integer(32, 65536), input_size_given = true;
    else if (r.is("--preprocessing")) preprocessing = r.value();
    else if (r.is("--fp16")) fp16 = true;
    else if (!r.positional()) r.unknown();
    else if (input.empty()) input = r.arg();
    else throw Error("one checkpoint at a time (got '" + input + "' and '" + r.arg() + "')");
  }
  if (input.empty() || output.empty()) {
    usage();
    return 2;
  }

  if (!yolo::is_pt_checkpoint(input)) {
    if (nc > 0 || !names.empty() || !preprocessing.empty() || input_size_given)
      throw Error(input + ": a model file keeps its classes, input size and pre-processing; only --gray and --fp16 apply");
    return rewrite_model_file(input, output, gray, fp16);
  }
  yolo::ModelOptions options;
  options.nc = nc;  // 0: the checkpoint's
  options.input_channels = gray ? 1 : 0;
  yolo::TransferredModel t = yolo::transfer_model(input, options);
  std::printf("%s\n", t.report.c_str());
  yolo::Model& model = *t.model;
  yolo::ModelFileInfo info;
  info.input.size = input_size;
  if (!preprocessing.empty()) {
    info.input.rule = yolo::InputRule::Letterbox;
    info.input.chain = preprocessing;
  }
  if (!names.empty()) info.names = split_char(names, ',');
  else if (model.nc() == t.source.nc) info.names = t.source.names;
  model.eval();
  yolo::save_model(output, model, info, fp16 ? DType::F16 : DType::F32);
  std::printf("wrote %s: %d classes, %d input channel%s, %lld parameters, %.1f GFLOPs at 640\n", output.c_str(),
              model.nc(), model.input_channels(), model.input_channels() == 1 ? "" : "s",
              (long long)model.num_parameters(), model.flops(640, 640) / 1e9);
  return 0;
}

}  // namespace yp::app
