// cmd_train.cpp: `yolopick train` - train a detector on a data.yaml (train/trainer.h), and
// `yolopick train labels` - turn particle coordinates or disk masks into YOLO label files (train/import_labels.h).
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/args.h"
#include "apps/calibrate_model.h"
#include "apps/commands.h"
#include "apps/run_record.h"
#include "imgproc/chain.h"
#include "imgproc/image_io.h"
#include "tensor/device.h"
#include "train/dataset.h"
#include "util/text.h"
#include "train/checkpoint.h"
#include "train/import_labels.h"
#include "train/trainer.h"
#include "train/initial_model.h"
#include "yolo/model_file.h"

namespace fs = std::filesystem;

namespace yp::app {

static const char* kTrainUsage =
    "usage: yolopick train --data data.yaml --model MODEL --out runs/NAME [options]\n"
    "       yolopick train labels --images DIR --coords DIR --box PX --out LABELS_DIR [options]\n"
    "       yolopick train labels --images DIR --masks DIR --box PX --out LABELS_DIR\n"
    "example: yolopick train --data klh/data.yaml -m yolov5n.pt --out runs/klh --epochs 100\n"
    "         yolopick train labels --images mics --coords picks --box 180 --out labels\n"
    "training:\n"
    "  --data FILE         data set description (train/val folders or lists, nc, names); repeat it to mix sources\n"
    "                      (docs/training.md, Mixing sources): all are trained on, the first one's val is validated on\n"
    "  --data-repeat R,..  per --data, in order: each image drawn R times per epoch (whole numbers, default 1 each)\n"
    "  --data-weight W,..  per --data, in order: its images' loss terms multiplied by W (default 1 each)\n"
    "  --hard-negative-weight X  background weight of the objectness loss at NAME.excluded.txt positions (default 2;\n"
    "                      NAME.uncertain.txt positions get 0: docs/training.md, Hard negatives and ignore regions)\n"
    "  --no-markers        train without NAME.excluded.txt / NAME.uncertain.txt (the plain YOLOv5 loss)\n"
    "  -m, --model MODEL   yolov5n.pt (COCO weights, transferred to the data's classes), a .safetensors model file,\n"
    "                      a .yaml config or a built-in name (yolov5n .. yolov5x) from scratch; always with a gray stem\n"
    "  --epochs N          (default 100)      --batch N (default 16)     --imgsz PX (default 640)\n"
    "  --device cpu|cuda   where the network (forward, backward), optimizer and EMA run (default cpu); with cuda the\n"
    "                      images are still read and augmented on the CPU, and the loss is computed there\n"
    "  -o, --out DIR       run folder: best.safetensors, last.safetensors (model files of the EMA weights),\n"
    "                      last.ckpt (training state), results.csv, results.png, PR_curve.png, val_pred.png\n"
    "  --resume            continue the run in --out exactly where it stopped (Ctrl-C saves a checkpoint); refused\n"
    "                      when the settings differ from the folder's run.json (each named) unless --force\n"
    "  --allow-empty       train although no training image has a label (background only; else an error)\n"
    "  --patience N        early stopping (default 100)   --seed S (default 0)   --workers N loader threads (default 2)\n"
    "  --optimizer SGD|AdamW  --lr0 X (0.01)  --lrf X (0.01)  --cos-lr  --weight-decay X (5e-4)  --freeze N\n"
    "  --nominal-batch N   gradients are accumulated to N images per optimizer step (YOLOv5: 64; a set of\n"
    "                      9 pictures wants ~ the batch size, or there is one step every few epochs)\n"
    "  --max-det N         validation keeps at most N boxes per image (val.py: 300; a micrograph can hold more)\n"
    "  --mosaic P (1.0)  --scale X (0.5)  --translate X (0.1)  --fliplr P  --flipud P  --rot90 P (0.5 each)\n"
    "  --calibrate RULE    at the end, calibrate best.safetensors on the val split (yolopick calibrate: pick's\n"
    "                      default threshold per class at the best F1, one-to-one RULE: iou:T or dist:R px)\n"
    "  --chain STEPS       run imgproc's pre-processing chain on every image: 'default' or e.g. resize,wiener,clahe,normalize;\n"
    "                      its settings are stored in the model files (default: off, pictures are used as they are)\n"
    "physical scale (docs/training.md, Scale): train on --imgsz crops of the micrographs resampled to one pixel size,\n"
    "validate on whole micrographs tiled as pick tiles them; the model files record the scale, and pick resamples\n"
    "every micrograph to it:\n"
    "  --apix A            pixel size of the training and validation micrographs (A/px), overriding MRC headers;\n"
    "                      required for PNG/JPEG\n"
    "  --train-apix A      the network's pixel size (A/px)      --bin B   the same as --train-apix B x --apix\n"
    "  --particle-diameter D   the particle's diameter in A (recorded; sets pick's tile overlap; aim for >= 32 px\n"
    "                      at the network: D / train-apix)\n"
    "       yolopick train val --data data.yaml --weights runs/NAME/best.safetensors --split test [--imgsz PX] [--max-det N]\n"
    "                      [--apix A]\n"
    "labels:\n"
    "  --images DIR|FILE   micrographs (PNG/JPEG/MRC) the labels are for (repeatable)\n"
    "  --coords DIR        .star / .box / .cbox / .csv files named like the micrographs\n"
    "  --masks DIR         disk masks NAME_mask.jpg/png (CryoPPP): centres by distance transform + local maxima\n"
    "  --box PX            box size in pixels (forced for every particle)\n"
    "  --radius PX         mask disk radius (default box/2)\n"
    "  --flip-y            the pictures store the MRC rows upside down (y' = H - 1 - y)\n"
    "  --keep-classes      keep the files' class numbers (default: one class, 0)\n"
    "  --out DIR           where NAME.txt label files go\n";

namespace {

volatile bool g_interrupted = false;
void on_sigint(int) { g_interrupted = true; }

int cmd_train_labels(const Args& args) {
  std::vector<std::string> images;
  std::string coords, masks, out;
  train::ImportOptions opt;
  opt.single_class = 0;
  opt.force_box_size = true;
  double radius = 0;
  ArgReader r(args, "train", 1);
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kTrainUsage);
      return 0;
    } else if (r.is("--images")) images.push_back(r.value());
    else if (r.is("--coords")) coords = r.value();
    else if (r.is("--masks")) masks = r.value();
    else if (r.is("--out", "-o")) out = r.value();
    else if (r.is("--box")) opt.box_size = r.number();
    else if (r.is("--radius")) radius = r.number();
    else if (r.is("--flip-y")) opt.rows = picker::ImageRows::FlippedY;
    else if (r.is("--keep-classes")) opt.single_class = -1;
    else r.unknown();
  }
  if (images.empty() || out.empty() || opt.box_size <= 0 || coords.empty() == masks.empty())
    throw Error("train labels needs --images, --out, --box and one of --coords / --masks (yolopick train --help)");
  if (!coords.empty()) {
    const auto rep = train::import_folder(images, coords, out, opt);
    std::printf("%d images, %d with coordinates: %d boxes written to %s (%d outside the image dropped)\n", rep.images,
                rep.labelled, rep.particles, out.c_str(), rep.dropped);
    return rep.labelled > 0 ? 0 : 1;
  }
  train::MaskCentreParams mp;
  mp.radius = radius > 0 ? radius : opt.box_size / 2;
  int written = 0, boxes = 0;
  for (const std::string& img : train::list_images(images, ".")) {
    const std::string stem = fs::path(img).stem().string();
    std::string mask_path;
    for (const char* ext : {".jpg", ".png", ".jpeg"})
      if (fs::exists(fs::path(masks) / (stem + "_mask" + ext))) mask_path = (fs::path(masks) / (stem + "_mask" + ext)).string();
    if (mask_path.empty()) continue;
    const auto picks = train::mask_to_picks(imgproc::read_image(mask_path).image, mp, opt.box_size);
    const auto labels = train::picks_to_labels(picks, picks.width, picks.height, opt);
    train::write_yolo_labels((fs::path(out) / (stem + ".txt")).string(), labels);
    ++written;
    boxes += static_cast<int>(labels.size());
  }
  std::printf("%d masks converted: %d boxes written to %s\n", written, boxes, out.c_str());
  return written > 0 ? 0 : 1;
}

// `yolopick train val`: the metrics of a saved model file on one split (val.py's rules), its inputs made by the
// input pipeline the file records (yolo/input_pipeline.h), as its training's validation made them.
int cmd_train_val(const Args& args) {
  std::string data, weights, split = "test";
  int imgsz = 0, batch = 4;
  train::ValidationOptions vo;
  train::LoaderConfig lc;
  ArgReader r(args, "train", 1);
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kTrainUsage);
      return 0;
    } else if (r.is("--data")) data = r.value();
    else if (r.is("--weights")) weights = r.value();
    else if (r.is("--split")) split = r.value();
    else if (r.is("--imgsz")) imgsz = r.integer(64, 8192);
    else if (r.is("--batch")) batch = r.integer(1, 4096);
    else if (r.is("--max-det")) vo.max_det = r.integer(1, 100000);
    else if (r.is("--apix")) lc.apix = r.number();
    else r.unknown();
  }
  if (data.empty() || weights.empty()) throw Error("train val needs --data and --weights");
  const train::DatasetSpec spec = train::read_dataset_yaml(data);
  yolo::LoadedModel loaded = yolo::load_model(weights);
  if (loaded.model->nc() != spec.nc)
    throw Error(weights + ": a model for " + std::to_string(loaded.model->nc()) + " classes, " + data + " has " +
                std::to_string(spec.nc));
  lc.input = loaded.info.input;
  if (imgsz > 0 && imgsz != lc.input.size) {
    std::fprintf(stderr, "note: --imgsz %d replaces the %d px %s was trained at\n", imgsz, lc.input.size, weights.c_str());
    lc.input.size = imgsz;
  }
  if (const std::string note = yolo::input_note(lc.input, weights); !note.empty())
    std::fprintf(stderr, "note: %s\n", note.c_str());
  lc.batch_size = batch;
  lc.augment = lc.shuffle = false;
  train::DataLoader loader(train::load_split(spec, split), lc);
  yolo::Model& model = *loaded.model;
  yolo::LossConfig loss;
  loss.nc = spec.nc;
  loss.image_size = lc.input.size;
  const train::ValidationResult v = train::validate(model, loader, loss, vo);
  std::printf("%s split '%s' at %d px%s: %d images, %d labels\n", weights.c_str(), split.c_str(), lc.input.size,
              lc.input.scaled() ? (" (tiles, " + yolo::scale_text(lc.input) + ")").c_str() : "", v.metrics.n_images,
              v.metrics.n_labels);
  if (v.capped.any())  // a warning when the boxes cut could have been picks at pick's default threshold
    std::printf("%s: --max-det %d cut %lld box(es) in %d input(s), scores up to %.3f%s\n",
                v.capped.best >= 0.25f ? "warning" : "note", vo.max_det,
                (long long)(v.capped.boxes + v.capped.candidates), v.capped.images, v.capped.best,
                v.capped.best >= 0.25f ? ": raise --max-det" : " (below pick's 0.25)");
  std::printf("P %.4f  R %.4f  mAP50 %.4f  mAP50-95 %.4f   (YOLOv5 val.py rules: NMS conf 0.001 IoU 0.6, at most %d boxes\n"
              "per image; a detection is a TP at IoU >= 0.5 with a same-class box, greedy by IoU; P and R at the max of the smoothed mean F1)\n",
              v.metrics.precision, v.metrics.recall, v.metrics.map50, v.metrics.map, vo.max_det);
  return 0;
}

// The physical scale of the run (docs/training.md, Scale): from --train-apix or --bin x the micrographs' pixel size
// (--apix, else the first training micrograph's MRC header), or kept from the model being fine-tuned; the particle
// from --particle-diameter (or the model's). Prints what the network will see.
void set_training_scale(train::LoaderConfig& lc, const yolo::InputPipeline& source, const std::string& model_name,
                        const train::DatasetSpec& spec, double train_apix, double bin, double diameter) {
  if (bin > 0) {
    double apix = lc.apix;
    if (!(apix > 0)) {
      const std::vector<std::string> images = train::list_images(spec.train, spec.root);
      apix = images.empty() ? 0 : imgproc::read_image(images[0]).pixel_size;
      if (!(apix > 0))
        throw Error("--bin " + fmt(bin, 3) + " needs the micrographs' pixel size: give --apix (A/px)");
    }
    train_apix = bin * apix;
  }
  if (train_apix <= 0 && source.scaled()) {
    train_apix = source.pixel_size;
    if (diameter <= 0) diameter = source.particle_diameter;
    std::printf("%s records a scale (%s): used for these images too\n", model_name.c_str(),
                yolo::scale_text(source).c_str());
  }
  if (train_apix <= 0) {
    if (diameter > 0) throw Error("--particle-diameter needs a scale: --train-apix A or --bin B");
    return;
  }
  lc.input.pixel_size = train_apix;
  lc.input.particle_diameter = diameter;
  if (diameter <= 0)
    std::printf("note: no --particle-diameter: the model files record none, and pick's tile overlap is 256 px\n");
  else if (lc.input.particle_pixels() < 32)
    std::printf("note: the particle is %.1f px at the network (< 32): small objects are hard for YOLOv5's coarsest "
                "levels; a finer --train-apix (or --bin) keeps more of it\n", lc.input.particle_pixels());
  else if (lc.input.particle_pixels() > lc.input.size / 2.0)
    std::printf("note: the particle is %.1f px at the network, more than half of --imgsz %d: crops rarely hold it "
                "whole; a coarser --train-apix (or a larger --imgsz) fits it\n", lc.input.particle_pixels(),
                lc.input.size);
}

}  // namespace

int cmd_train(const Args& args) {
  if (!args.empty() && args[0] == "labels") return cmd_train_labels(args);
  if (!args.empty() && args[0] == "val") return cmd_train_val(args);
  std::vector<std::string> data;
  std::string model_name, device = "cpu", chain_steps, data_repeat, data_weight, calibrate;
  bool markers = true;
  double train_apix = 0, bin = 0, diameter = 0;
  bool allow_empty = false;
  bool force = false;
  train::TrainConfig cfg;
  train::LoaderConfig lc;
  lc.batch_size = 16;
  lc.workers = 2;
  ArgReader r(args, "train");
  while (r.next()) {
    if (r.help()) {
      std::printf("%s", kTrainUsage);
      return 0;
    } else if (r.is("--data")) data.push_back(r.value());
    else if (r.is("--data-repeat")) data_repeat = r.value();
    else if (r.is("--data-weight")) data_weight = r.value();
    else if (r.is("--hard-negative-weight")) cfg.loss.hard_negative = r.number();
    else if (r.is("--no-markers")) markers = false;
    else if (r.is("--model", "-m")) model_name = r.value();
    else if (r.is("--device")) device = r.value();
    else if (r.is("--out", "-o")) cfg.out_dir = r.value();
    else if (r.is("--epochs")) cfg.epochs = r.integer(1, 100000);
    else if (r.is("--batch")) lc.batch_size = r.integer(1, 4096);
    else if (r.is("--imgsz")) lc.input.size = r.integer(64, 8192);
    else if (r.is("--resume")) cfg.resume = true;
    else if (r.is("--allow-empty")) allow_empty = true;
    else if (r.is("--patience")) cfg.patience = r.integer(0, 1000000);
    else if (r.is("--force")) force = true;
    else if (r.is("--seed")) cfg.seed = lc.seed = uint64_t(r.number());
    else if (r.is("--workers")) lc.workers = r.integer(0, 256);
    else if (r.is("--optimizer")) {
      const std::string o = r.value();
      if (o == "SGD") cfg.optimizer = train::OptimizerKind::SGD;
      else if (o == "AdamW") cfg.optimizer = train::OptimizerKind::AdamW;
      else throw Error("--optimizer must be SGD or AdamW");
    } else if (r.is("--lr0")) cfg.schedule.lr0 = r.number_in(1e-8, 1);
    else if (r.is("--lrf")) cfg.schedule.lrf = r.number_in(1e-6, 1);
    else if (r.is("--cos-lr")) cfg.schedule.cosine = true;
    else if (r.is("--nominal-batch")) cfg.schedule.nominal_batch = r.integer(1, 65536);
    else if (r.is("--max-det")) cfg.val.max_det = r.integer(1, 100000);
    else if (r.is("--weight-decay")) cfg.weight_decay = r.number_in(0, 0.1);
    else if (r.is("--freeze")) cfg.freeze = r.integer(0, 1000);
    else if (r.is("--mosaic")) lc.augment_config.mosaic = r.fraction();
    else if (r.is("--scale")) lc.augment_config.scale = r.number_in(0, 0.9);
    else if (r.is("--translate")) lc.augment_config.translate = r.number_in(0, 0.5);
    else if (r.is("--fliplr")) lc.augment_config.fliplr = r.fraction();
    else if (r.is("--flipud")) lc.augment_config.flipud = r.fraction();
    else if (r.is("--rot90")) lc.augment_config.rot90 = r.fraction();
    else if (r.is("--chain")) chain_steps = r.value();
    else if (r.is("--calibrate")) calibrate = r.value();
    else if (r.is("--apix")) lc.apix = r.number();
    else if (r.is("--train-apix")) train_apix = r.number();
    else if (r.is("--bin")) bin = r.number();
    else if (r.is("--particle-diameter")) diameter = r.number();
    else r.unknown();
  }
  if (data.empty() || model_name.empty()) throw Error("--data and --model are required (yolopick train --help)");
  if (train_apix > 0 && bin > 0) throw Error("--train-apix and --bin both set the network's pixel size: give one");
  if (lc.apix < 0 || train_apix < 0 || bin < 0 || diameter < 0) throw Error("--apix, --train-apix, --bin and "
                                                                            "--particle-diameter must be positive");
  if (device == "cuda") {
    require_cuda("--device cuda");
    cfg.device = Device::CUDA;
  } else if (device != "cpu") {
    throw Error("--device must be cpu or cuda, got '" + device + "'");
  }
  if (lc.input.size % 32 != 0 || lc.input.size < 64) throw Error("--imgsz must be a multiple of 32, at least 64");
  if (!(cfg.loss.hard_negative >= 0)) throw Error("--hard-negative-weight must be >= 0");
  CalibrateRequest calibration;
  if (!calibrate.empty()) calibration.options.rule = picker::parse_match_rule(calibrate);  // refused before training

  std::string data_setting;  // every --data, resolved, comma-separated
  for (const std::string& d : data)
    data_setting += (data_setting.empty() ? "" : ",") + std::filesystem::weakly_canonical(std::filesystem::absolute(d)).string();
  // run.json: the settings that shape the model (not the device, the loader threads or where the run stands).
  record_run(cfg.out_dir, "train",
             {{"data", data_setting},
              {"model", model_name},
              {"epochs", std::to_string(cfg.epochs)},
              {"batch", std::to_string(lc.batch_size)},
              {"imgsz", std::to_string(lc.input.size)},
              {"seed", std::to_string(cfg.seed)},
              {"optimizer", cfg.optimizer == train::OptimizerKind::SGD ? "SGD" : "AdamW"},
              {"lr0", setting(cfg.schedule.lr0)},
              {"lrf", setting(cfg.schedule.lrf)},
              {"cos_lr", cfg.schedule.cosine ? "true" : "false"},
              {"nominal_batch", std::to_string(cfg.schedule.nominal_batch)},
              {"weight_decay", setting(cfg.weight_decay)},
              {"freeze", std::to_string(cfg.freeze)},
              {"patience", std::to_string(cfg.patience)},
              {"max_det", std::to_string(cfg.val.max_det)},
              {"mosaic", setting(lc.augment_config.mosaic)},
              {"scale", setting(lc.augment_config.scale)},
              {"translate", setting(lc.augment_config.translate)},
              {"fliplr", setting(lc.augment_config.fliplr)},
              {"flipud", setting(lc.augment_config.flipud)},
              {"rot90", setting(lc.augment_config.rot90)},
              {"chain", chain_steps},
              {"apix", setting(lc.apix)},
              {"train_apix", setting(train_apix)},
              {"bin", setting(bin)},
              {"particle_diameter", setting(diameter)},
              {"data_repeat", data_repeat},
              {"data_weight", data_weight},
              {"hard_negative_weight", setting(cfg.loss.hard_negative)},
              {"markers", markers ? "true" : "false"}},
             args, cfg.resume, force);

  const std::vector<train::DataSource> sources = train::read_sources(data, data_repeat, data_weight);
  const train::DatasetSpec& spec = sources[0].spec;
  cfg.names = spec.names;
  cfg.schedule.batch_size = lc.batch_size;
  // Micrographs are gray: the stem takes one channel (the RGB stem of COCO weights summed into it, which is
  // exactly the RGB network on the gray value replicated), and the loaders make one-channel batches.
  train::InitialModel built = train::initial_model(model_name, spec.nc, 1, cfg.seed);
  std::printf("%s\n", built.report.c_str());
  // A picker trained on pre-processed micrographs keeps its chain when it is fine-tuned (unless --chain says
  // otherwise): the images must look like the ones it learned from, and the new model files must carry the
  // chain for `pick`.
  if (chain_steps.empty() && !built.source.input.chain.empty()) {
    lc.input.chain = built.source.input.chain;  // its settings kept, resized to --imgsz below
    chain_steps = imgproc::steps_text(imgproc::chain_config_from_text(lc.input.chain));
    std::printf("%s stores its pre-processing (%s): used for these images too (--chain off to train without)\n",
                model_name.c_str(), chain_steps.c_str());
  }
  if (!chain_steps.empty()) yolo::set_chain(lc.input, chain_steps);
  if (!lc.input.chain.empty()) cfg.model_meta.emplace_back("chain", chain_steps);
  set_training_scale(lc, built.source.input, model_name, spec, train_apix, bin, diameter);
  lc.input.channels = built.model->input_channels();
  train::LoaderConfig vc = lc;
  vc.augment = vc.shuffle = false;
  std::vector<train::Sample> train_samples = train::load_sources(sources, "train");
  int marked = 0;
  for (train::Sample& sample : train_samples) {
    if (!markers) sample.marks.clear();
    marked += !sample.marks.empty();
  }
  if (marked > 0) std::printf("%d training images with excluded/uncertain positions (loss masks)\n", marked);
  train::require_labels(train_samples, spec, "train", allow_empty);
  train::DataLoader train_data(std::move(train_samples), lc);
  train::DataLoader val_data(train::load_split(spec, "val"), vc);
  cfg.model_meta.emplace_back("architecture", model_name);
  cfg.interrupt = &g_interrupted;
  std::signal(SIGINT, on_sigint);
  std::printf("training %s on %lld images (%lld batches/epoch), validating on %lld, %d epochs, imgsz %d -> %s\n",
              model_name.c_str(), (long long)train_data.size(), (long long)train_data.batches_per_epoch(),
              (long long)val_data.size(), cfg.epochs, lc.input.size, cfg.out_dir.c_str());
  if (lc.input.scaled())
    std::printf("scale: %s; %lld crops of %d px per epoch; validation tiles whole micrographs as pick does\n",
                yolo::scale_text(lc.input).c_str(), (long long)train_data.epoch_length(), lc.input.size);
  if (sources.size() > 1)
    for (size_t i = 0; i < sources.size(); ++i)
      std::printf("  source %zu: %s, each image x%d per epoch, loss weight %g%s\n", i + 1, sources[i].spec.yaml_path.c_str(),
                  sources[i].repeat, sources[i].weight, i == 0 ? " (validated on)" : "");
  const train::TrainSummary s = train::train(*built.model, train_data, val_data, cfg);
  std::signal(SIGINT, SIG_DFL);
  std::printf("%s after %d epochs (%lld iterations, %.1f s, %.1f img/s, %.2f s waiting for data); best epoch %d, "
              "fitness %.4f\n",
              s.stop_reason.c_str(), s.epochs_completed, (long long)s.iterations, s.seconds, s.images_per_second,
              s.data_wait_seconds, s.best_epoch, s.best_fitness);
  if (!s.history.empty()) {
    const auto& m = s.history.back().metrics;
    std::printf("last epoch: P %.3f R %.3f mAP50 %.3f mAP50-95 %.3f\n", m.precision, m.recall, m.map50, m.map);
  }
  if (s.stop_reason == "non-finite loss") return 1;
  if (!calibrate.empty() && !g_interrupted) {
    calibration.model = (std::filesystem::path(cfg.out_dir) / "best.safetensors").string();
    calibration.data = data[0];  // the first source: the one validated on
    calibration.options.apix = lc.apix;
    calibrate_model_file(calibration, stdout);
  }
  return 0;
}

}  // namespace yp::app
