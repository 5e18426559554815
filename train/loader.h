// loader.h: images -> augmented batches, made by background threads ahead of the training loop.
//
// Every image goes through the input pipeline of LoaderConfig::input (yolo/input_pipeline.h), the record the
// trained model files store and `pick`, `detect` and `train val` replay:
//   base image   read (imgproc/image_io.h) -> steps 1-3 of the pipeline: the pre-processing chain if any, values
//                in [0, 1], long side resized to the input size. Made once per sample and kept in memory (YOLOv5's
//                --cache ram): micrograph data sets are tens of images, and the chain costs far more than a batch.
//   sample       train: augment_sample (augment.h); val: steps 4-5, the network input exactly as inference makes it.
//   batch        images (N, C, S, S) float32 - C = 1 for a gray-stem model (yolo/model.h folds the COCO
//                stem), or the gray value copied to C = 3 channels - and targets (image-in-batch, class,
//                cx, cy, w, h) normalised; the marked points (dataset.h MarkedPoint, a particle radius around each)
//                as loss masks, moved by the augmentations as the boxes are, and the per-image loss weights.
// With a physical scale (input.pixel_size > 0; docs/training.md "Scale") the base image is the whole micrograph
// resampled to that pixel size (its own from the MRC header, or `apix`), all made when the loader is built (so a
// picture without a pixel size stops the run before it starts). Training takes S x S random crops of it
// (augment.h random_crop, then the augmentations), each micrograph ceil(area / S^2) times per epoch, so an epoch
// covers about every pixel once; validation makes one batch per micrograph: its tiles exactly as pick cuts them
// (yolo::tile_inputs), to be scored merged, in the micrograph's pixels (validate.h).
//
// Determinism: epoch e's order is a Fisher-Yates shuffle drawn from Rng(seed, e); sample k of batch b uses
// its own Rng(seed, e, b, k). So a batch's content depends only on (seed, epoch, batch index): not on
// the number of worker threads, nor on timing, and a resumed run can restart mid-epoch at any batch.
//
// Threads: `workers` threads claim batch indices in order and stay at most `prefetch` batches ahead of the
// consumer (a bounded queue). next() reports how long the training loop waited for data (wait_seconds):
// ~0 means the model never waits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tensor/tensor.h"
#include "train/augment.h"
#include "train/dataset.h"
#include "yolo/input_pipeline.h"
#include "yolo/loss.h"

namespace yp::train {

struct LoaderConfig {
  // size S, channels C (must match the model's), chain, rule: what the model files of the run record
  yolo::InputPipeline input = {yolo::InputRule::Letterbox, "", 640, 3};
  int batch_size = 16;
  bool augment = true;   // false: the network input as inference makes it (validation)
  bool shuffle = true;
  uint64_t seed = 0;
  double apix = 0;       // A/px of the pictures, overriding MRC headers (needed for PNG/JPEG with a scale)
  int workers = 1;       // 0 = make batches in next() on the calling thread
  int prefetch = 4;      // batches made ahead
  AugmentConfig augment_config;
};

// Without labels, the radius masked around a marked point (NAME.excluded.txt / NAME.uncertain.txt), in the picture's
// pixels: the KLH labels' particle radius at 2048 px (~150 px boxes). With labels it is half their median larger side.
constexpr double kDefaultMarkRadius = 75.0;

struct Batch {
  int64_t index = 0;                 // batch index within the epoch
  Tensor images;                     // (N, C, S, S) in [0, 1]
  std::vector<yolo::Target> targets;
  yolo::LossMasks masks;             // training batches: marked points moved with the pixels, per-source weights
  std::vector<int> samples;          // data set index of each image
  // Validation with a physical scale: one micrograph, `images` its tiles as pick makes them; `tiles` maps them back
  // (the inputs' own tensors left empty), `picture_boxes` are its labels in its own pixels.
  yolo::PictureInputs tiles;
  std::vector<PixelBox> picture_boxes;
};

// A sample before augmentation: steps 1-3 of the input pipeline, its labels in those pixels, and the picture it came
// from (picture pixels per pixel of `labelled.image`: scale_x, scale_y).
struct BaseImage {
  LabelledImage labelled;
  int width = 0, height = 0;
  double scale_x = 1, scale_y = 1;
};

class DataLoader {
 public:
  DataLoader(std::vector<Sample> samples, LoaderConfig config);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t size() const { return static_cast<int64_t>(samples_.size()); }
  int64_t epoch_length() const;  // samples drawn per epoch: size(), or with a scale the crops (see above)
  int64_t batches_per_epoch() const;
  const std::vector<Sample>& samples() const { return samples_; }
  const LoaderConfig& config() const { return config_; }

  // Starts epoch `epoch` at batch `first_batch` (> 0 when resuming mid-epoch); drops queued batches.
  void start_epoch(int epoch, int64_t first_batch = 0);
  // The next batch of the epoch, or false at its end. Rethrows a worker's error (e.g. an unreadable image).
  bool next(Batch& out);

  // Seconds next() has spent blocked on the workers, and batches delivered, since construction.
  double wait_seconds() const;
  int64_t batches_delivered() const;
  int64_t batches_ready() const;  // made and not yet taken (at most `prefetch`)

  // The batch (epoch, index) as the workers make it, on the calling thread.
  Batch make_batch(int epoch, int64_t index, const std::vector<int>& order) const;
  std::vector<int> epoch_order(int epoch) const;

  // Sample k's base image (made on first use, then kept).
  const BaseImage& base(int k) const;
  bool tiled_validation() const { return config_.input.scaled() && !config_.augment; }

 private:
  void worker_loop();

  std::vector<Sample> samples_;
  LoaderConfig config_;

  // base-image cache, filled on first use
  mutable std::vector<std::unique_ptr<BaseImage>> cache_;
  std::vector<int> repeats_;  // times each sample is drawn per epoch
  mutable std::unique_ptr<std::once_flag[]> cache_once_;

  mutable std::mutex mutex_;
  std::condition_variable produced_, consumed_;
  std::vector<std::thread> threads_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  int epoch_ = 0;
  std::vector<int> order_;
  int64_t next_to_make_ = 0, next_to_take_ = 0, epoch_batches_ = 0;
  std::map<int64_t, Batch> ready_;
  std::exception_ptr error_;
  double wait_seconds_ = 0;
  int64_t delivered_ = 0;
};

}  // namespace yp::train
