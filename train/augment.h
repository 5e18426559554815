// augment.h: training augmentations for gray micrographs, labels moved with the pixels.
//
// Follows YOLOv5 v7.0 (utils/dataloaders.py load_mosaic, utils/augmentations.py random_perspective,
// box_candidates) minus what makes no sense on gray data (no HSV jitter), plus what does (vertical flips
// and 90-degree turns: a micrograph has no "up").
//
//   mosaic     4 images around a centre (xc, yc) ~ U(s/2, 3s/2) on a 2s x 2s canvas filled with 114/255 (kPadGray);
//              labels shifted by each tile's offset and clipped to the canvas
//   affine     x' = S (x - c) + t: c = canvas centre, S ~ U(1 - scale, 1 + scale), t = U(0.5 - tr, 0.5 + tr) * s;
//              the image is resampled bilinearly by the inverse map, boxes by mapping their 4 corners
//              (min/max, clipped to the output); box_candidates then drops slivers:
//              keep if w > 2 px, h > 2 px, area / (area_before * S^2) > 0.1 and aspect < 100
//   flips      x -> W - x (fliplr), y -> H - y (flipud), each with its probability
//   rot90      k quarter turns clockwise (k uniform in 1..3) with probability rot90; square outputs only
//   intensity  v' = clamp((v - 0.5) * c + 0.5 + b, 0, 1), c ~ U(1 - contrast, 1 + contrast), b ~ U(-brightness, brightness)
//
// With a physical scale (yolo::InputPipeline::pixel_size) the sample's pictures are size x size crops of the micrograph
// at the network's scale (random_crop), so the zoom above varies the scale around the recorded one.
//
// Coordinates are continuous pixel-edge coordinates: pixel (i, j) covers [i, i+1) x [j, j+1), so a box
// [x1, x2) of an image of width W flips to [W - x2, W - x1) exactly, and a pixel centre is at i + 0.5.
#pragma once

#include <array>
#include <functional>
#include <vector>

#include "imgproc/image.h"
#include "tensor/random.h"
#include "train/dataset.h"
#include "yolo/input_pipeline.h"

namespace yp::train {

struct AugmentConfig {
  double mosaic = 1.0;      // probability of a 4-image mosaic
  double translate = 0.1;
  double scale = 0.5;       // zoom factor in [1 - scale, 1 + scale]
  double fliplr = 0.5;
  double flipud = 0.5;
  double rot90 = 0.5;
  double brightness = 0.1;
  double contrast = 0.2;
};

struct PixelBox {
  int cls = 0;
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // pixel-edge coordinates
};

// A marked position (dataset.h MarkedPoint) in an image's pixels: a circle of radius r around (x, y) where the loss is
// masked (yolo/loss.h LossMasks). Every augmentation moves it like a box centre and scales r with the zoom.
struct PixelPoint {
  MarkKind kind = MarkKind::Uncertain;
  double x = 0, y = 0, r = 0;
};

struct LabelledImage {
  imgproc::Image image;  // values in [0, 1]
  std::vector<PixelBox> boxes;
  std::vector<PixelPoint> points;
};

// Normalised labels <-> pixel boxes of a width x height image.
std::vector<PixelBox> to_pixel_boxes(const std::vector<YoloLabel>& labels, int width, int height);
std::vector<YoloLabel> to_yolo_labels(const std::vector<PixelBox>& boxes, int width, int height);

// 2 x 3 affine map of output from input coordinates:  x' = a x + b y + c,  y' = d x + e y + f.
struct Affine {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
};

// Output pixel centre (i + .5, j + .5) samples the input at the inverse image of that point, bilinearly
// between input pixel centres; points outside the input read `fill`.
imgproc::Image warp_affine(const imgproc::Image& src, const Affine& m, int out_width, int out_height, float fill);

// The points of `points` whose circle reaches into the region (x, y, width, height), moved by (dx - x, dy - y).
std::vector<PixelPoint> crop_points(const std::vector<PixelPoint>& points, int x, int y, int width, int height,
                                    int dx = 0, int dy = 0);

// YOLOv5 box_candidates: before = box scaled by the zoom (w1, h1), after = transformed and clipped.
bool box_candidate(double w1, double h1, double w2, double h2, double wh_thr = 2, double ar_thr = 100,
                   double area_thr = 0.1);

// Boxes through m (corners, min/max), clipped to the output, filtered by box_candidate with zoom `scale`.
std::vector<PixelBox> transform_boxes(const std::vector<PixelBox>& boxes, const Affine& m, double scale, int out_width,
                                      int out_height);

// Steps 3-4 of the input pipeline's letterbox rule (yolo/input_pipeline.h: long side to `size`, bicubic; centred
// padding with yolo::kPadGray to size x size), the labels moved with the pixels.
LabelledImage letterbox_square(const LabelledImage& in, int size);

// The boxes of `boxes` inside the region (x, y, width, height), moved by (dx - x, dy - y) and clipped to the region's
// new place; box_candidate drops what the cut leaves too small (less than 10 % of the box, or 2 px).
std::vector<PixelBox> crop_boxes(const std::vector<PixelBox>& boxes, int x, int y, int width, int height, int dx = 0,
                                 int dy = 0);

// A size x size piece of `in` at a uniformly random place, its labels moved with it (crop_boxes). A picture smaller
// than `size` along an axis is taken whole along it and centred on kPadGray, as pick pads its tiles
// (yolo::region_input).
LabelledImage random_crop(const LabelledImage& in, int size, Rng& rng);

// load_mosaic: tiles[0] is the sample itself, 1..3 random others; output 2s x 2s, boxes clipped.
LabelledImage mosaic4(const std::array<const LabelledImage*, 4>& tiles, int s, Rng& rng);

// random_perspective without rotation/shear: zoom and shift, output out_size x out_size. `border` is the
// YOLOv5 border: -s/2 after a mosaic (the 2s canvas is cropped to s), 0 otherwise.
LabelledImage random_affine(const LabelledImage& in, int out_size, const AugmentConfig& cfg, Rng& rng);

void flip_lr(LabelledImage& x);
void flip_ud(LabelledImage& x);
void rotate90(LabelledImage& x, int quarter_turns);  // clockwise; the image must be square
void jitter_intensity(imgproc::Image& image, double brightness, double contrast, Rng& rng);

// The whole training augmentation of one sample. `base` returns picture k as the sample's pieces: the base image
// (already loaded, long side resized to s), or with a physical scale a random s x s crop of it; `n_samples` is the
// data set size for choosing mosaic partners.
using BaseImageFn = std::function<LabelledImage(int)>;
LabelledImage augment_sample(int index, int n_samples, int s, const AugmentConfig& cfg, Rng& rng,
                             const BaseImageFn& base);

}  // namespace yp::train
