// trainer.h: the training loop (YOLOv5 v7.0 train.py) on a yolo::Model.
//
// Per iteration ni (global batch index): apply_schedule sets lr/momentum (warm-up, then lr0 * lf(epoch));
// forward on the augmented batch, yolo_loss (loss = (lbox + lobj + lcls) * N), backward; every `accumulate`
// batches: clip_grad_norm(10), optimizer step, zero grads, EMA update. A non-finite loss stops the run
// with a message before anything is written, so the last checkpoint stays the last good one.
// Per epoch: validation of the EMA weights (validate.h), fitness, early stopping, a results.csv row, and
// last.ckpt (the training state), last.safetensors and, when fitness >= the best so far, best.safetensors
// (model files of the EMA weights with the loaders' input pipeline as their record, yolo/model_file.h), all
// written atomically.
// Resume: last.ckpt holds weights, BN statistics, EMA, optimizer buffers, gradients accumulated since the
// last step, the counters, and the seed; the data order and augmentation are functions of
// (seed, epoch, batch) (loader.h). So a resumed run repeats the uninterrupted one bit for bit on the CPU.
// Device (TrainConfig::device): the model moves there at the start and stays there; the optimizer state and
// the EMA copy live beside it; the loaders make batches on the host and each is uploaded for its step; the
// loss runs on the host (yolo/loss.h). Checkpoints and model files are written from host copies, in the same
// formats whatever the device, so a run can be resumed on the other device (not bit for bit: the GPU sums
// in other orders).
// Walk-through: docs/training.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/loader.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "train/schedule.h"
#include "train/validate.h"
#include "yolo/loss.h"
#include "yolo/model.h"

namespace yp::train {

struct TrainConfig {
  std::string out_dir = "runs/train";
  Device device = Device::CPU;  // where the model, optimizer state and EMA live (CUDA: train on the GPU)
  int epochs = 100;
  int patience = 100;
  uint64_t seed = 0;
  OptimizerKind optimizer = OptimizerKind::SGD;
  ScheduleConfig schedule;      // lr0, lrf, momentum, warm-up, batch_size, nominal_batch, epochs (set from above)
  double weight_decay = 5e-4;   // before the batch scaling
  double clip_norm = 10.0;
  int freeze = 0;               // freeze layers model.0 .. model.{freeze-1}
  yolo::LossConfig loss;        // nc and image_size are taken from the model and loader
  ValidationOptions val;
  bool plots = true;
  bool verbose = true;          // progress bar on stderr
  std::vector<std::string> names;                 // class names (plots, model file)
  std::vector<std::pair<std::string, std::string>> model_meta;  // stored in last.ckpt as "model.KEY"
  bool resume = false;          // continue from out_dir/last.ckpt
  // Test hooks: after this many iterations of THIS call, return as if killed (-1 = never); with
  // save_on_stop the loop first writes a mid-epoch last.ckpt (what Ctrl-C does).
  int64_t stop_after_iterations = -1;
  bool save_on_stop = false;
  // Set asynchronously (SIGINT) to stop at the next iteration, saving a mid-epoch checkpoint.
  const volatile bool* interrupt = nullptr;
};

struct EpochRecord {
  int epoch = 0;
  double train_box = 0, train_obj = 0, train_cls = 0;
  DetectionMetrics metrics;
  double val_box = 0, val_obj = 0, val_cls = 0;
  double lr[3] = {0, 0, 0};
  double fitness = 0;
  double seconds = 0;
};

struct TrainSummary {
  std::string stop_reason;  // "completed", "early stop", "non-finite loss", "stopped"
  int epochs_completed = 0;
  int best_epoch = -1;
  double best_fitness = 0;
  std::vector<EpochRecord> history;
  int64_t iterations = 0;         // run in this call
  double seconds = 0;
  double data_wait_seconds = 0;   // the loop waiting on the loader
  double images_per_second = 0;
};

TrainSummary train(yolo::Model& model, DataLoader& train_data, DataLoader& val_data, const TrainConfig& config);

}  // namespace yp::train
