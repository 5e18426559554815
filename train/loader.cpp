// loader.cpp: base images, batches and the worker threads (loader.h).
#include "train/loader.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "imgproc/image_io.h"

namespace yp::train {

namespace {

// A well-mixed seed from several integers (SplitMix64 finaliser over a running combination).
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t h = seed;
  for (uint64_t v : {a, b, c}) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
  }
  return h;
}

// The radius masked around a marked point, in the picture's pixels: a particle's radius, i.e. half the median of the
// labels' larger box side, or kDefaultMarkRadius for a picture without labels.
double mark_radius(const Sample& sample, int width, int height) {
  if (sample.labels.empty()) return kDefaultMarkRadius;
  std::vector<double> sides;
  for (const YoloLabel& l : sample.labels) sides.push_back(std::max(l.w * width, l.h * height));
  std::nth_element(sides.begin(), sides.begin() + sides.size() / 2, sides.end());
  return sides[sides.size() / 2] / 2;
}

// One sample's image before augmentation (steps 1-3 of the input pipeline), with its labels in its pixels: long
// side resized to the input size, or with a scale the whole picture at that scale.
BaseImage load_base_image(const Sample& sample, const LoaderConfig& config) {
  const yolo::InputPipeline& input = config.input;
  imgproc::LoadedImage picture = imgproc::read_image(sample.image_path);
  yolo::set_pixel_size(picture, config.apix, input, sample.image_path);
  yolo::ScaledPicture scaled = yolo::scale_picture(picture, input);
  BaseImage out;
  out.width = picture.image.width, out.height = picture.image.height;
  out.scale_x = scaled.scale_x, out.scale_y = scaled.scale_y;
  if (input.scaled()) {
    out.labelled.image = std::move(scaled.image);
  } else {
    const yolo::LetterboxGeometry g = yolo::input_geometry(scaled.image.width, scaled.image.height, input);
    out.labelled.image = yolo::resize_for_input(std::move(scaled.image), g, input.rule);
  }
  const int w = out.labelled.image.width, h = out.labelled.image.height;
  out.labelled.boxes = to_pixel_boxes(sample.labels, w, h);  // normalised
  const double sx = double(w) / out.width, sy = double(h) / out.height;
  const double r = mark_radius(sample, out.width, out.height) * std::sqrt(sx * sy);
  for (const MarkedPoint& m : sample.marks) out.labelled.points.push_back({m.kind, m.x * sx, m.y * sy, r});
  return out;
}

// The loss masks of one S x S image of the batch: its marked points as circles, normalised.
void add_masks(yolo::LossMasks& masks, int image, const std::vector<PixelPoint>& points, int s) {
  for (const PixelPoint& p : points)
    masks.regions.push_back({image, p.kind == MarkKind::Excluded ? yolo::MaskKind::HardNegative : yolo::MaskKind::Ignore,
                             p.x / s, p.y / s, p.r / s});
}

// Normalised targets of one S x S image of the batch.
void add_targets(std::vector<yolo::Target>& targets, int image, const std::vector<PixelBox>& boxes, int s) {
  for (const YoloLabel& l : to_yolo_labels(boxes, s, s)) targets.push_back({image, l.cls, l.cx, l.cy, l.w, l.h});
}

}  // namespace

DataLoader::DataLoader(std::vector<Sample> samples, LoaderConfig config)
    : samples_(std::move(samples)), config_(std::move(config)) {
  YP_CHECK(!samples_.empty(), "DataLoader: no samples");
  YP_CHECK(config_.batch_size >= 1 && config_.input.size >= 32, "DataLoader: batch_size >= 1 and input size >= 32");
  YP_CHECK(config_.input.channels == 1 || config_.input.channels == 3, "DataLoader: channels must be 1 or 3");
  cache_.resize(samples_.size());
  cache_once_.reset(new std::once_flag[samples_.size()]);
  repeats_.assign(samples_.size(), 1);
  if (config_.input.scaled())
    for (size_t k = 0; k < samples_.size(); ++k) {
      const imgproc::Image& im = base(static_cast<int>(k)).labelled.image;
      const double s = config_.input.size;
      if (config_.augment) repeats_[k] = std::max(1, static_cast<int>(std::ceil(im.width * double(im.height) / (s * s))));
    }
  if (config_.augment)  // a source's ratio (dataset.h DataSource): its images drawn `repeat` times as often
    for (size_t k = 0; k < samples_.size(); ++k) repeats_[k] *= samples_[k].repeat;
  for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  consumed_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t DataLoader::epoch_length() const {
  return std::accumulate(repeats_.begin(), repeats_.end(), int64_t(0));
}

int64_t DataLoader::batches_per_epoch() const {
  if (tiled_validation()) return size();  // one micrograph per batch
  return (epoch_length() + config_.batch_size - 1) / config_.batch_size;
}

const BaseImage& DataLoader::base(int k) const {
  std::call_once(cache_once_[k], [&] { cache_[k] = std::make_unique<BaseImage>(load_base_image(samples_[k], config_)); });
  return *cache_[k];
}

std::vector<int> DataLoader::epoch_order(int epoch) const {
  std::vector<int> order;
  for (size_t k = 0; k < repeats_.size(); ++k) order.insert(order.end(), repeats_[k], static_cast<int>(k));
  if (config_.shuffle) {
    Rng rng(mix_seed(config_.seed, 0x5EED, static_cast<uint64_t>(epoch)));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.randint(0, static_cast<int64_t>(i))]);
  }
  return order;
}

Batch DataLoader::make_batch(int epoch, int64_t index, const std::vector<int>& order) const {
  const yolo::InputPipeline& input = config_.input;
  const int s = input.size;
  if (tiled_validation()) {  // one micrograph: its tiles as pick makes them (yolo::picture_inputs after scale_picture)
    const int sample = order[index];
    const BaseImage& x = base(sample);
    const yolo::ScaledPicture scaled{x.labelled.image, x.scale_x, x.scale_y};
    Batch b;
    b.index = index;
    b.tiles = yolo::tile_inputs(scaled, x.width, x.height, input, 32, yolo::default_tile_overlap(input));
    const int64_t n = static_cast<int64_t>(b.tiles.inputs.size());
    const int64_t numel = int64_t(input.channels) * s * s;
    b.images = Tensor::empty({n, input.channels, s, s});
    for (int64_t k = 0; k < n; ++k) {
      yolo::NetworkInput& in = b.tiles.inputs[k];
      std::copy_n(in.input.data<float>(), numel, b.images.data<float>() + k * numel);
      in.input = Tensor();
      const yolo::LetterboxGeometry& g = in.geometry;
      add_targets(b.targets, static_cast<int>(k),
                  crop_boxes(x.labelled.boxes, in.region_x, in.region_y, g.resized_width, g.resized_height, g.pad_left,
                             g.pad_top),
                  s);
      b.samples.push_back(sample);
    }
    b.picture_boxes = to_pixel_boxes(samples_[sample].labels, x.width, x.height);
    return b;
  }
  const int64_t first = index * config_.batch_size;
  const int64_t n = std::min<int64_t>(config_.batch_size, epoch_length() - first);
  Batch b;
  b.index = index;
  const int channels = input.channels;
  b.images = Tensor::empty({n, channels, s, s});
  float* dst = b.images.data<float>();
  const int64_t plane = int64_t(s) * s;
  const yolo::LetterboxGeometry whole = yolo::input_geometry(s, s, input);  // an augmented sample fills the input
  for (int64_t k = 0; k < n; ++k) {
    const int sample = order[first + k];
    float* slot = dst + k * channels * plane;
    std::vector<PixelBox> boxes;
    if (config_.augment) {
      Rng rng(mix_seed(config_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index), static_cast<uint64_t>(k)));
      const BaseImageFn pieces = [&](int i) {
        return input.scaled() ? random_crop(base(i).labelled, s, rng) : base(i).labelled;
      };
      LabelledImage x = augment_sample(sample, static_cast<int>(size()), s, config_.augment_config, rng, pieces);
      yolo::write_letterboxed(x.image, 0, 0, whole, channels, slot);
      boxes = std::move(x.boxes);
      add_masks(b.masks, static_cast<int>(k), x.points, s);
    } else {
      // Steps 4-5 of the pipeline on the base image: the input network_input() gives inference.
      const LabelledImage& x = base(sample).labelled;
      const yolo::LetterboxGeometry g = yolo::input_geometry(x.image.width, x.image.height, input);
      yolo::write_letterboxed(x.image, 0, 0, g, channels, slot);
      for (const PixelBox& b : x.boxes)
        boxes.push_back({b.cls, b.x1 + g.pad_left, b.y1 + g.pad_top, b.x2 + g.pad_left, b.y2 + g.pad_top});
    }
    add_targets(b.targets, static_cast<int>(k), boxes, s);
    b.samples.push_back(sample);
  }
  // Per-image loss weights only when a source asks for them: the plain loss stays the plain loss.
  bool weighted = false;
  for (const int k : b.samples) weighted = weighted || samples_[k].loss_weight != 1.0;
  if (weighted)
    for (const int k : b.samples) b.masks.image_weight.push_back(samples_[k].loss_weight);
  return b;
}

void DataLoader::start_epoch(int epoch, int64_t first_batch) {
  std::vector<int> order = epoch_order(epoch);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_ = epoch;
    order_ = std::move(order);
    ready_.clear();
    epoch_batches_ = batches_per_epoch();
    next_to_make_ = next_to_take_ = std::min(first_batch, epoch_batches_);
  }
  consumed_.notify_all();
}

void DataLoader::worker_loop() {
  for (;;) {
    int64_t index;
    uint64_t generation;
    int epoch;
    std::vector<int> order;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      consumed_.wait(lock, [&] {
        return stop_ || (next_to_make_ < epoch_batches_ && next_to_make_ < next_to_take_ + config_.prefetch);
      });
      if (stop_) return;
      index = next_to_make_++;
      generation = generation_;
      epoch = epoch_;
      order = order_;
    }
    Batch b;
    std::exception_ptr err;
    try {
      b = make_batch(epoch, index, order);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (generation != generation_) continue;  // the epoch was restarted meanwhile: drop it
      if (err && !error_) error_ = err;
      if (!err) ready_.emplace(index, std::move(b));
    }
    produced_.notify_all();
  }
}

bool DataLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_take_ >= epoch_batches_) return false;
  const int64_t want = next_to_take_;
  if (threads_.empty()) {
    const int epoch = epoch_;
    const std::vector<int> order = order_;
    lock.unlock();
    out = make_batch(epoch, want, order);
    lock.lock();
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    produced_.wait(lock, [&] { return error_ || ready_.count(want) > 0; });
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (error_) std::rethrow_exception(error_);
    out = std::move(ready_.at(want));
    ready_.erase(want);
  }
  ++next_to_take_;
  ++delivered_;
  lock.unlock();
  consumed_.notify_all();
  return true;
}

double DataLoader::wait_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wait_seconds_;
}

int64_t DataLoader::batches_ready() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(ready_.size());
}

int64_t DataLoader::batches_delivered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return delivered_;
}

}  // namespace yp::train
