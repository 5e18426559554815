// trainer.cpp: the loop, checkpoints, results.csv and the progress line (trainer.h).
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tensor/autograd.h"
#include "tensor/device.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/plots.h"
#include "util/atomic_file.h"
#include "util/output_lock.h"
#include "util/text.h"
#include "yolo/io/safetensors.h"
#include "yolo/model_file.h"

namespace fs = std::filesystem;

namespace yp::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

NamedTensors clone_state(const NamedTensors& s) {
  NamedTensors out;
  for (const auto& [n, t] : s) out.emplace_back(n, t.detach().clone());
  return out;
}

NamedTensors with_prefix(const Checkpoint& c, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [n, t] : c.tensors)
    if (n.compare(0, prefix.size(), prefix) == 0) out.emplace_back(n.substr(prefix.size()), t);
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

// Everything the loop carries between iterations, saved in last.ckpt.
struct LoopState {
  int epoch = 0;          // current epoch
  int64_t batch = 0;      // next batch of that epoch
  int64_t last_opt_step = -1;
  double loss_sum[3] = {0, 0, 0};  // running sums of this epoch's (lbox, lobj, lcls)
  int64_t loss_batches = 0;
};

void save_state(const std::string& path, yolo::Model& model, const ModelEMA& ema, const Optimizer& opt,
                const LoopState& s, const EarlyStopping& stopper, const TrainConfig& cfg, int image_size) {
  Checkpoint c;
  c.meta["format"] = "yolopick-train-1";
  c.meta["epoch"] = std::to_string(s.epoch);
  c.meta["batch"] = std::to_string(s.batch);
  c.meta["last_opt_step"] = std::to_string(s.last_opt_step);
  c.meta["loss_box_sum"] = exact_double(s.loss_sum[0]);
  c.meta["loss_obj_sum"] = exact_double(s.loss_sum[1]);
  c.meta["loss_cls_sum"] = exact_double(s.loss_sum[2]);
  c.meta["loss_batches"] = std::to_string(s.loss_batches);
  c.meta["ema_updates"] = std::to_string(ema.updates());
  c.meta["optimizer_steps"] = std::to_string(opt.state().steps);
  c.meta["best_epoch"] = std::to_string(stopper.best_epoch());
  c.meta["best_fitness"] = exact_double(stopper.best_fitness());
  c.meta["seed"] = std::to_string(cfg.seed);
  c.meta["epochs"] = std::to_string(cfg.epochs);
  c.meta["nc"] = std::to_string(model.nc());
  c.meta["image_size"] = std::to_string(image_size);
  c.meta["names"] = join(cfg.names);
  for (const auto& [k, v] : cfg.model_meta) c.meta["model." + k] = v;
  for (const auto& [n, t] : training_state(model)) c.tensors.emplace_back("state/" + n, t);
  for (const auto& [n, t] : ema.state()) c.tensors.emplace_back("ema/" + n, t);
  for (const auto& [n, t] : batch_counters(model)) c.tensors.emplace_back("counter/" + n, t);
  for (const auto& [n, t] : model_parameters(model))
    if (t.grad().defined()) c.tensors.emplace_back("grad/" + n, t.grad());
  for (size_t i = 0; i < opt.state().first_moment.size(); ++i)
    c.tensors.emplace_back("opt.m/" + std::to_string(i), opt.state().first_moment[i]);
  for (size_t i = 0; i < opt.state().second_moment.size(); ++i)
    c.tensors.emplace_back("opt.v/" + std::to_string(i), opt.state().second_moment[i]);
  save_checkpoint(path, c);
}

// A model file (yolo/model_file.h) of the EMA weights: best.safetensors / last.safetensors, what `yolopick
// detect` and the picker load. The EMA state must already be in the model (the validation swap).
// The input record is the loaders': what the network was trained and validated on is what `pick` will replay.
void save_model_file(const std::string& path, yolo::Model& model, const TrainConfig& cfg,
                     const yolo::InputPipeline& input) {
  yolo::ModelFileInfo info;
  info.names = cfg.names;
  info.input = input;
  yolo::save_model(path, model, info);
}

const char* kCsvHeader =
    "epoch,train/box_loss,train/obj_loss,train/cls_loss,metrics/precision,metrics/recall,metrics/mAP_0.5,"
    "metrics/mAP_0.5:0.95,val/box_loss,val/obj_loss,val/cls_loss,x/lr0,x/lr1,x/lr2";

std::string csv_row(const EpochRecord& r) {
  std::ostringstream s;
  s.precision(6);
  s << r.epoch << "," << r.train_box << "," << r.train_obj << "," << r.train_cls << "," << r.metrics.precision << ","
    << r.metrics.recall << "," << r.metrics.map50 << "," << r.metrics.map << "," << r.val_box << "," << r.val_obj << ","
    << r.val_cls << "," << r.lr[0] << "," << r.lr[1] << "," << r.lr[2];
  return s.str();
}

// Rows of an existing results.csv for epochs before `before` (a resumed run rewrites the rest).
std::vector<std::string> kept_csv_rows(const std::string& path, int before) {
  std::vector<std::string> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line))
    if (!line.empty() && std::atoi(line.c_str()) < before) rows.push_back(line);
  return rows;
}

void write_csv(const std::string& path, const std::vector<std::string>& rows) {
  std::string s = std::string(kCsvHeader) + "\n";
  for (const auto& r : rows) s += r + "\n";
  write_text_file_atomic(path, s);
}

std::string format_eta(double s) {
  char buf[32];
  const int t = static_cast<int>(s);
  std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}

}  // namespace

TrainSummary train(yolo::Model& model, DataLoader& train_data, DataLoader& val_data, const TrainConfig& cfg) {
  if (cfg.device == Device::CUDA) require_cuda("train on the GPU");  // before anything is written
  const auto t_start = Clock::now();
  const double wait_at_start = train_data.wait_seconds();
  TrainSummary summary;
  const OutputLock lock(cfg.out_dir, ".yolopick-train.lock", "train");  // one run per folder (util/output_lock.h)
  sweep_temporary_files(cfg.out_dir);  // what a killed run left (util/atomic_file.h)
  const std::string last_path = (fs::path(cfg.out_dir) / "last.ckpt").string();
  const std::string best_path = (fs::path(cfg.out_dir) / "best.safetensors").string();
  const std::string last_model_path = (fs::path(cfg.out_dir) / "last.safetensors").string();
  const std::string csv_path = (fs::path(cfg.out_dir) / "results.csv").string();

  const yolo::InputPipeline& input = train_data.config().input;
  const yolo::InputPipeline& val_input = val_data.config().input;
  const int image_size = input.size;
  if (input.channels != model.input_channels())
    throw Error("train: the loaders make " + std::to_string(input.channels) + "-channel images, the model takes " +
                std::to_string(model.input_channels()));
  if (val_input != input)
    throw Error("train: the validation loader makes its inputs another way than the training loader");
  ScheduleConfig sched = cfg.schedule;
  sched.epochs = cfg.epochs;
  sched.batch_size = train_data.config().batch_size;
  yolo::LossConfig loss_cfg = cfg.loss;
  loss_cfg.nc = model.nc();
  loss_cfg.image_size = image_size;
  const int na = static_cast<int>(model.anchors()[0].size(0));
  model.to(cfg.device);  // before anything holds a handle to the model's tensors

  const NamedTensors params = model_parameters(model);
  freeze_layers(params, cfg.freeze);
  Optimizer opt(cfg.optimizer, build_param_groups(params, sched.lr0, sched.momentum,
                                                  scaled_weight_decay(sched, cfg.weight_decay)));
  std::vector<Tensor> all_params;
  for (const auto& kv : params) all_params.push_back(kv.second);
  std::unique_ptr<ModelEMA> ema = std::make_unique<ModelEMA>(training_state(model));
  EarlyStopping stopper(cfg.patience);
  LoopState s;
  std::vector<std::string> csv_rows;

  if (cfg.resume) {
    const Checkpoint c = load_checkpoint(last_path);
    if (c.get("format") != "yolopick-train-1") throw Error(last_path + ": not a training-state checkpoint");
    load_state(training_state(model), with_prefix(c, "state/"));
    // Checkpoints written before the counters were saved resume with the model's own (the weights are exact).
    const NamedTensors counters = with_prefix(c, "counter/");
    if (!counters.empty()) load_state(batch_counters(model), counters);
    else std::fprintf(stderr, "note: %s predates saved BatchNorm batch counters; num_batches_tracked restarts\n",
                      last_path.c_str());
    ema = std::make_unique<ModelEMA>(training_state(model), c.get_int("ema_updates"));
    load_state(ema->state(), with_prefix(c, "ema/"));  // into copies on the model's device
    OptimizerState os;
    os.steps = c.get_int("optimizer_steps");
    for (const auto& kv : with_prefix(c, "opt.m/")) os.first_moment.push_back(kv.second);
    for (const auto& kv : with_prefix(c, "opt.v/")) os.second_moment.push_back(kv.second);
    opt.set_state(os);
    for (const auto& [n, t] : params) {
      Tensor h = t;
      h.zero_grad();
      if (const Tensor* g = c.find("grad/" + n)) h.set_grad(g->clone().to(t.device()));
    }
    s.epoch = static_cast<int>(c.get_int("epoch"));
    s.batch = c.get_int("batch");
    s.last_opt_step = c.get_int("last_opt_step");
    s.loss_sum[0] = c.get_double("loss_box_sum");
    s.loss_sum[1] = c.get_double("loss_obj_sum");
    s.loss_sum[2] = c.get_double("loss_cls_sum");
    s.loss_batches = c.get_int("loss_batches");
    stopper.restore(static_cast<int>(c.get_int("best_epoch")), c.get_double("best_fitness"));
    summary.best_epoch = stopper.best_epoch();
    summary.best_fitness = stopper.best_fitness();
    csv_rows = kept_csv_rows(csv_path, s.epoch);
    if (cfg.verbose)
      std::fprintf(stderr, "resuming %s at epoch %d, batch %lld\n", last_path.c_str(), s.epoch, (long long)s.batch);
  }

  const int64_t nb = train_data.batches_per_epoch();
  int64_t iterations = 0, images = 0;
  for (; s.epoch < cfg.epochs; ++s.epoch, s.batch = 0) {
    const auto t_epoch = Clock::now();
    model.train();
    train_data.start_epoch(s.epoch, s.batch);
    Batch batch;
    while (train_data.next(batch)) {
      const int64_t ni = batch.index + nb * s.epoch;
      const int accumulate = apply_schedule(sched, opt, s.epoch, ni, nb);
      const std::vector<Tensor> raw = model.forward_raw(batch.images.to(cfg.device));
      const yolo::LossResult lr =
          yolo::yolo_loss(yolo::loss_layout(raw, na), model.anchors(), batch.targets, loss_cfg, batch.masks);
      const double total = lr.total.item();
      if (!std::isfinite(total)) {
        std::fprintf(stderr, "\nloss is %s at epoch %d batch %lld: stopping; the last good checkpoint is %s\n",
                     std::isnan(total) ? "NaN" : "Inf", s.epoch, (long long)batch.index,
                     fs::exists(last_path) ? last_path.c_str() : "(none yet)");
        summary.stop_reason = "non-finite loss";
        summary.iterations = iterations;
        summary.seconds = seconds_since(t_start);
        return summary;
      }
      lr.total.backward();
      if (ni - s.last_opt_step >= accumulate) {
        clip_grad_norm(all_params, cfg.clip_norm);
        opt.step();
        opt.zero_grad();
        ema->update(training_state(model));
        s.last_opt_step = ni;
      }
      s.loss_sum[0] += lr.lbox, s.loss_sum[1] += lr.lobj, s.loss_sum[2] += lr.lcls;
      ++s.loss_batches;
      s.batch = batch.index + 1;
      ++iterations;
      images += batch.images.size(0);
      if (cfg.verbose) {
        const double el = seconds_since(t_start), ips = images / std::max(el, 1e-9);
        const double left = (double(cfg.epochs - s.epoch) * nb - s.batch) * (el / iterations);
        std::fprintf(stderr, "\r%4d/%-4d %5lld/%-5lld box %.4f obj %.4f cls %.4f  lr %.5f  %.1f img/s  ETA %s   ",
                     s.epoch, cfg.epochs - 1, (long long)s.batch, (long long)nb, s.loss_sum[0] / s.loss_batches,
                     s.loss_sum[1] / s.loss_batches, s.loss_sum[2] / s.loss_batches, opt.groups()[1].lr, ips,
                     format_eta(left).c_str());
      }
      const bool interrupted = cfg.interrupt && *cfg.interrupt;
      if ((cfg.stop_after_iterations >= 0 && iterations >= cfg.stop_after_iterations) || interrupted) {
        if (cfg.save_on_stop || interrupted) save_state(last_path, model, *ema, opt, s, stopper, cfg, image_size);
        if (cfg.verbose) std::fprintf(stderr, "\nstopped at epoch %d batch %lld\n", s.epoch, (long long)s.batch);
        summary.stop_reason = "stopped";
        summary.iterations = iterations;
        summary.seconds = seconds_since(t_start);
        return summary;
      }
    }

    // Validate the EMA weights: swap them into the model, validate, save the model files, swap back.
    const NamedTensors live = clone_state(training_state(model));
    load_state(training_state(model), ema->state());
    const ValidationResult v = validate(model, val_data, loss_cfg, cfg.val);

    EpochRecord rec;
    rec.epoch = s.epoch;
    rec.train_box = s.loss_sum[0] / std::max<int64_t>(s.loss_batches, 1);
    rec.train_obj = s.loss_sum[1] / std::max<int64_t>(s.loss_batches, 1);
    rec.train_cls = s.loss_sum[2] / std::max<int64_t>(s.loss_batches, 1);
    rec.metrics = v.metrics;
    rec.val_box = v.lbox, rec.val_obj = v.lobj, rec.val_cls = v.lcls;
    for (int g = 0; g < 3 && g < static_cast<int>(opt.groups().size()); ++g) rec.lr[g] = opt.groups()[g].lr;
    rec.fitness = fitness(v.metrics);
    rec.seconds = seconds_since(t_epoch);
    summary.history.push_back(rec);
    csv_rows.push_back(csv_row(rec));
    write_csv(csv_path, csv_rows);

    const double best_before = stopper.best_fitness();
    const bool is_first = summary.best_epoch < 0;
    const bool stop = stopper.should_stop(s.epoch, rec.fitness);
    const bool is_best = rec.fitness >= best_before || is_first;
    save_model_file(last_model_path, model, cfg, input);
    if (is_best) {
      save_model_file(best_path, model, cfg, input);
      summary.best_epoch = s.epoch;
      summary.best_fitness = rec.fitness;
    }
    load_state(training_state(model), live);

    s.loss_sum[0] = s.loss_sum[1] = s.loss_sum[2] = 0;
    s.loss_batches = 0;
    LoopState next = s;
    next.epoch = s.epoch + 1;
    next.batch = 0;
    save_state(last_path, model, *ema, opt, next, stopper, cfg, image_size);
    summary.epochs_completed = s.epoch + 1;
    if (cfg.verbose)
      std::fprintf(stderr, "\n          P %.3f  R %.3f  mAP50 %.3f  mAP50-95 %.3f  (%d images, %d labels)%s\n",
                   v.metrics.precision, v.metrics.recall, v.metrics.map50, v.metrics.map, v.metrics.n_images,
                   v.metrics.n_labels, is_best ? "  best" : "");
    if (cfg.verbose && v.capped.best >= 0.25f)  // boxes a pick at its default threshold would keep
      std::fprintf(stderr, "          warning: --max-det %d cut %lld box(es) in %d validation input(s), scores up to "
                   "%.2f: these metrics miss them; raise --max-det\n", cfg.val.max_det,
                   (long long)(v.capped.boxes + v.capped.candidates), v.capped.images, v.capped.best);
    if (stop) {
      summary.stop_reason = "early stop";
      if (cfg.verbose)
        std::fprintf(stderr, "early stopping: no improvement for %d epochs (best epoch %d)\n", cfg.patience,
                     stopper.best_epoch());
      break;
    }
  }
  if (summary.stop_reason.empty()) summary.stop_reason = "completed";
  summary.iterations = iterations;
  summary.seconds = seconds_since(t_start);
  summary.data_wait_seconds = train_data.wait_seconds() - wait_at_start;
  summary.images_per_second = images / std::max(summary.seconds, 1e-9);

  if (cfg.plots && !summary.history.empty()) {
    // Final plots from the best weights.
    const io::SafetensorsFile best = io::load_safetensors(best_path);
    const NamedTensors live = clone_state(training_state(model));
    load_state(training_state(model), best.tensors);
    ValidationOptions vo = cfg.val;
    vo.keep_images = 4;
    const ValidationResult v = validate(model, val_data, loss_cfg, vo);
    load_state(training_state(model), live);
    write_training_plots(cfg.out_dir, summary.history, v, val_data, cfg.names);
  }
  return summary;
}

}  // namespace yp::train
