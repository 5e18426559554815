// augment.cpp: mosaic, zoom/shift, flips, quarter turns, intensity jitter (augment.h).
#include "train/augment.h"

#include <algorithm>
#include <cmath>

#include "tensor/tensor.h"

namespace yp::train {

using imgproc::Image;

std::vector<PixelBox> to_pixel_boxes(const std::vector<YoloLabel>& labels, int width, int height) {
  std::vector<PixelBox> out;
  out.reserve(labels.size());
  for (const YoloLabel& l : labels)
    out.push_back({l.cls, (l.cx - l.w / 2) * width, (l.cy - l.h / 2) * height, (l.cx + l.w / 2) * width,
                   (l.cy + l.h / 2) * height});
  return out;
}

std::vector<YoloLabel> to_yolo_labels(const std::vector<PixelBox>& boxes, int width, int height) {
  std::vector<YoloLabel> out;
  out.reserve(boxes.size());
  for (const PixelBox& b : boxes) {
    const double x1 = std::clamp(b.x1, 0.0, double(width)), x2 = std::clamp(b.x2, 0.0, double(width));
    const double y1 = std::clamp(b.y1, 0.0, double(height)), y2 = std::clamp(b.y2, 0.0, double(height));
    out.push_back({b.cls, (x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height});
  }
  return out;
}

Image warp_affine(const Image& src, const Affine& m, int out_width, int out_height, float fill) {
  const double det = m.a * m.e - m.b * m.d;
  YP_CHECK(std::abs(det) > 1e-12, "warp_affine: singular map");
  // inverse of [a b; d e] and the shift
  const double ia = m.e / det, ib = -m.b / det, id = -m.d / det, ie = m.a / det;
  const double ic = -(ia * m.c + ib * m.f), if_ = -(id * m.c + ie * m.f);
  Image out(out_width, out_height, fill);
  const int W = src.width, H = src.height;
  auto px = [&](int x, int y) { return (x < 0 || y < 0 || x >= W || y >= H) ? fill : src.at(x, y); };
  for (int j = 0; j < out_height; ++j) {
    float* row = out.row(j);
    const double Y = j + 0.5;
    for (int i = 0; i < out_width; ++i) {
      const double X = i + 0.5;
      // input point in pixel-centre coordinates (centre of pixel k at k)
      const double u = ia * X + ib * Y + ic - 0.5, v = id * X + ie * Y + if_ - 0.5;
      if (u <= -1 || v <= -1 || u >= W || v >= H) continue;  // all four taps outside: keep the fill
      const int x0 = static_cast<int>(std::floor(u)), y0 = static_cast<int>(std::floor(v));
      const float fx = static_cast<float>(u - x0), fy = static_cast<float>(v - y0);
      const float top = px(x0, y0) * (1 - fx) + px(x0 + 1, y0) * fx;
      const float bot = px(x0, y0 + 1) * (1 - fx) + px(x0 + 1, y0 + 1) * fx;
      row[i] = top * (1 - fy) + bot * fy;
    }
  }
  return out;
}

bool box_candidate(double w1, double h1, double w2, double h2, double wh_thr, double ar_thr, double area_thr) {
  constexpr double eps = 1e-16;
  const double ar = std::max(w2 / (h2 + eps), h2 / (w2 + eps));
  return w2 > wh_thr && h2 > wh_thr && w2 * h2 / (w1 * h1 + eps) > area_thr && ar < ar_thr;
}

std::vector<PixelBox> transform_boxes(const std::vector<PixelBox>& boxes, const Affine& m, double scale, int out_width,
                                      int out_height) {
  std::vector<PixelBox> out;
  for (const PixelBox& b : boxes) {
    const double xs[4] = {b.x1, b.x2, b.x2, b.x1}, ys[4] = {b.y1, b.y1, b.y2, b.y2};
    double x1 = 1e300, y1 = 1e300, x2 = -1e300, y2 = -1e300;
    for (int k = 0; k < 4; ++k) {
      const double X = m.a * xs[k] + m.b * ys[k] + m.c, Y = m.d * xs[k] + m.e * ys[k] + m.f;
      x1 = std::min(x1, X), x2 = std::max(x2, X), y1 = std::min(y1, Y), y2 = std::max(y2, Y);
    }
    x1 = std::clamp(x1, 0.0, double(out_width)), x2 = std::clamp(x2, 0.0, double(out_width));
    y1 = std::clamp(y1, 0.0, double(out_height)), y2 = std::clamp(y2, 0.0, double(out_height));
    if (box_candidate((b.x2 - b.x1) * scale, (b.y2 - b.y1) * scale, x2 - x1, y2 - y1)) out.push_back({b.cls, x1, y1, x2, y2});
  }
  return out;
}

std::vector<PixelPoint> crop_points(const std::vector<PixelPoint>& points, int x, int y, int width, int height,
                                    int dx, int dy) {
  std::vector<PixelPoint> out;
  for (const PixelPoint& p : points)
    if (p.x > x - p.r && p.x < x + width + p.r && p.y > y - p.r && p.y < y + height + p.r)
      out.push_back({p.kind, p.x - x + dx, p.y - y + dy, p.r});
  return out;
}

// The points through the zoom-and-shift map m (uniform scale `zoom`), those still reaching the output kept.
std::vector<PixelPoint> transform_points(const std::vector<PixelPoint>& points, const Affine& m, double zoom,
                                         int out_width, int out_height) {
  std::vector<PixelPoint> moved;
  for (const PixelPoint& p : points)
    moved.push_back({p.kind, m.a * p.x + m.b * p.y + m.c, m.d * p.x + m.e * p.y + m.f, p.r * zoom});
  return crop_points(moved, 0, 0, out_width, out_height);
}

LabelledImage letterbox_square(const LabelledImage& in, int size) {
  const yolo::InputPipeline p = {yolo::InputRule::Letterbox, "", size, 1};
  const yolo::LetterboxGeometry g = yolo::input_geometry(in.image.width, in.image.height, p);
  LabelledImage out;
  out.image = Image(g.output_width, g.output_height);
  yolo::write_letterboxed(yolo::resize_for_input(in.image, g, p.rule), 0, 0, g, 1, out.image.data.data());
  const double sx = double(g.resized_width) / g.source_width, sy = double(g.resized_height) / g.source_height;
  for (const PixelBox& b : in.boxes)
    out.boxes.push_back({b.cls, b.x1 * sx + g.pad_left, b.y1 * sy + g.pad_top, b.x2 * sx + g.pad_left, b.y2 * sy + g.pad_top});
  for (const PixelPoint& p : in.points)
    out.points.push_back({p.kind, p.x * sx + g.pad_left, p.y * sy + g.pad_top, p.r * std::sqrt(sx * sy)});
  return out;
}

std::vector<PixelBox> crop_boxes(const std::vector<PixelBox>& boxes, int x, int y, int width, int height, int dx,
                                 int dy) {
  std::vector<PixelBox> out;
  for (const PixelBox& b : boxes) {
    const double x1 = std::clamp(b.x1, double(x), double(x + width)), x2 = std::clamp(b.x2, double(x), double(x + width));
    const double y1 = std::clamp(b.y1, double(y), double(y + height)), y2 = std::clamp(b.y2, double(y), double(y + height));
    if (box_candidate(b.x2 - b.x1, b.y2 - b.y1, x2 - x1, y2 - y1))
      out.push_back({b.cls, x1 - x + dx, y1 - y + dy, x2 - x + dx, y2 - y + dy});
  }
  return out;
}

LabelledImage random_crop(const LabelledImage& in, int size, Rng& rng) {
  const int w = std::min(size, in.image.width), h = std::min(size, in.image.height);
  const int x = static_cast<int>(rng.randint(0, in.image.width - w + 1));
  const int y = static_cast<int>(rng.randint(0, in.image.height - h + 1));
  const yolo::InputPipeline p = {yolo::InputRule::Letterbox, "", size, 1};
  const yolo::LetterboxGeometry g = yolo::input_geometry(w, h, p, 32, true, false);  // padding only
  LabelledImage out;
  out.image = Image(size, size);
  yolo::write_letterboxed(in.image, x, y, g, 1, out.image.data.data());
  out.boxes = crop_boxes(in.boxes, x, y, w, h, g.pad_left, g.pad_top);
  out.points = crop_points(in.points, x, y, w, h, g.pad_left, g.pad_top);
  return out;
}

LabelledImage mosaic4(const std::array<const LabelledImage*, 4>& tiles, int s, Rng& rng) {
  LabelledImage out;
  out.image = Image(2 * s, 2 * s, yolo::kPadGray);
  const int xc = static_cast<int>(rng.uniform(s / 2.0, 1.5 * s)), yc = static_cast<int>(rng.uniform(s / 2.0, 1.5 * s));
  for (int i = 0; i < 4; ++i) {
    const Image& img = tiles[i]->image;
    const int w = img.width, h = img.height;
    int x1a, y1a, x2a, y2a, x1b, y1b;  // canvas rectangle [x1a, x2a) x [y1a, y2a) <- tile from (x1b, y1b)
    if (i == 0) {         // top left
      x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
      x1b = w - (x2a - x1a), y1b = h - (y2a - y1a);
    } else if (i == 1) {  // top right
      x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, 2 * s), y2a = yc;
      x1b = 0, y1b = h - (y2a - y1a);
    } else if (i == 2) {  // bottom left
      x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(2 * s, yc + h);
      x1b = w - (x2a - x1a), y1b = 0;
    } else {              // bottom right
      x1a = xc, y1a = yc, x2a = std::min(xc + w, 2 * s), y2a = std::min(2 * s, yc + h);
      x1b = 0, y1b = 0;
    }
    for (int y = y1a; y < y2a; ++y) std::copy_n(img.row(y - y1a + y1b) + x1b, x2a - x1a, out.image.row(y) + x1a);
    const double padw = x1a - x1b, padh = y1a - y1b;
    for (const PixelBox& b : tiles[i]->boxes) {
      PixelBox m{b.cls, b.x1 + padw, b.y1 + padh, b.x2 + padw, b.y2 + padh};
      m.x1 = std::clamp(m.x1, 0.0, 2.0 * s), m.x2 = std::clamp(m.x2, 0.0, 2.0 * s);
      m.y1 = std::clamp(m.y1, 0.0, 2.0 * s), m.y2 = std::clamp(m.y2, 0.0, 2.0 * s);
      out.boxes.push_back(m);
    }
    // A point masks the cells around it: only those of its own tile, so it is kept when its centre is in the tile.
    for (const PixelPoint& p : tiles[i]->points)
      if (p.x + padw >= x1a && p.x + padw < x2a && p.y + padh >= y1a && p.y + padh < y2a)
        out.points.push_back({p.kind, p.x + padw, p.y + padh, p.r});
  }
  return out;
}

LabelledImage random_affine(const LabelledImage& in, int out_size, const AugmentConfig& cfg, Rng& rng) {
  const double zoom = rng.uniform(1 - cfg.scale, 1 + cfg.scale);
  const double tx = rng.uniform(0.5 - cfg.translate, 0.5 + cfg.translate) * out_size;
  const double ty = rng.uniform(0.5 - cfg.translate, 0.5 + cfg.translate) * out_size;
  Affine m;  // x' = zoom (x - W/2) + tx
  m.a = m.e = zoom;
  m.c = tx - zoom * in.image.width / 2.0;
  m.f = ty - zoom * in.image.height / 2.0;
  LabelledImage out;
  out.image = warp_affine(in.image, m, out_size, out_size, yolo::kPadGray);
  out.boxes = transform_boxes(in.boxes, m, zoom, out_size, out_size);
  out.points = transform_points(in.points, m, zoom, out_size, out_size);
  return out;
}

void flip_lr(LabelledImage& x) {
  Image& im = x.image;
  for (int y = 0; y < im.height; ++y) std::reverse(im.row(y), im.row(y) + im.width);
  for (PixelBox& b : x.boxes) {
    const double x1 = im.width - b.x2, x2 = im.width - b.x1;
    b.x1 = x1, b.x2 = x2;
  }
  for (PixelPoint& p : x.points) p.x = im.width - p.x;
}

void flip_ud(LabelledImage& x) {
  Image& im = x.image;
  for (int y = 0; y < im.height / 2; ++y) std::swap_ranges(im.row(y), im.row(y) + im.width, im.row(im.height - 1 - y));
  for (PixelBox& b : x.boxes) {
    const double y1 = im.height - b.y2, y2 = im.height - b.y1;
    b.y1 = y1, b.y2 = y2;
  }
  for (PixelPoint& p : x.points) p.y = im.height - p.y;
}

void rotate90(LabelledImage& x, int quarter_turns) {
  const int k = ((quarter_turns % 4) + 4) % 4;
  if (k == 0) return;
  YP_CHECK(x.image.width == x.image.height, "rotate90: the image must be square, got " + std::to_string(x.image.width) + "x" +
                                                           std::to_string(x.image.height));
  const int n = x.image.width;
  for (int t = 0; t < k; ++t) {
    // clockwise: input pixel (col i, row j) goes to (col n-1-j, row i); a point (x, y) to (n - y, x)
    Image r(n, n);
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) r.at(n - 1 - j, i) = x.image.at(i, j);
    x.image = std::move(r);
    for (PixelBox& b : x.boxes) b = {b.cls, n - b.y2, b.x1, n - b.y1, b.x2};
    for (PixelPoint& p : x.points) p = {p.kind, n - p.y, p.x, p.r};
  }
}

void jitter_intensity(Image& image, double brightness, double contrast, Rng& rng) {
  const float c = static_cast<float>(rng.uniform(1 - contrast, 1 + contrast));
  const float b = static_cast<float>(rng.uniform(-brightness, brightness));
  for (float& v : image.data) v = std::clamp((v - 0.5f) * c + 0.5f + b, 0.0f, 1.0f);
}

LabelledImage augment_sample(int index, int n_samples, int s, const AugmentConfig& cfg, Rng& rng,
                             const BaseImageFn& base) {
  LabelledImage out;
  if (rng.uniform() < cfg.mosaic) {
    std::array<int, 4> idx = {index, 0, 0, 0};
    for (int k = 1; k < 4; ++k) idx[k] = static_cast<int>(rng.randint(0, n_samples));
    for (int k = 3; k > 0; --k) std::swap(idx[k], idx[rng.randint(0, k + 1)]);  // Fisher-Yates, as random.shuffle
    const LabelledImage t0 = base(idx[0]), t1 = base(idx[1]), t2 = base(idx[2]), t3 = base(idx[3]);
    const LabelledImage canvas = mosaic4({&t0, &t1, &t2, &t3}, s, rng);
    out = random_affine(canvas, s, cfg, rng);
  } else {
    out = random_affine(letterbox_square(base(index), s), s, cfg, rng);
  }
  if (rng.uniform() < cfg.fliplr) flip_lr(out);
  if (rng.uniform() < cfg.flipud) flip_ud(out);
  if (rng.uniform() < cfg.rot90) rotate90(out, static_cast<int>(rng.randint(1, 4)));
  if (cfg.brightness > 0 || cfg.contrast > 0) jitter_intensity(out.image, cfg.brightness, cfg.contrast, rng);
  return out;
}

}  // namespace yp::train
