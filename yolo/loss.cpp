// loss.cpp: see loss.h (formulas) and docs/loss.md (derivation).
//
// The CIoU gradient is taken with forward-mode dual numbers: each predicted box coordinate carries
// the vector of its derivatives w.r.t. (px, py, pw, ph), every arithmetic step propagates them, and
// the CIoU value comes out with its four partial derivatives. That keeps the code a transcription
// of the formula (the same template runs in plain double for ciou()), instead of a page of
// hand-expanded partial derivatives.
#include "yolo/loss.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "tensor/autograd.h"
#include "tensor/ops/elementwise.h"
#include "tensor/ops/permute.h"
#include "tensor/ops/to_device.h"

namespace yp::yolo {

namespace {

// ----- dual numbers: value + gradient w.r.t. the 4 predicted box coordinates -----------------
struct Dual {
  double v = 0;
  std::array<double, 4> d{};
  Dual() = default;
  Dual(double value) : v(value) {}  // a constant (zero derivative); implicit on purpose
};
Dual operator+(const Dual& a, const Dual& b) {
  Dual r(a.v + b.v);
  for (int i = 0; i < 4; ++i) r.d[i] = a.d[i] + b.d[i];
  return r;
}
Dual operator-(const Dual& a, const Dual& b) {
  Dual r(a.v - b.v);
  for (int i = 0; i < 4; ++i) r.d[i] = a.d[i] - b.d[i];
  return r;
}
Dual operator*(const Dual& a, const Dual& b) {
  Dual r(a.v * b.v);
  for (int i = 0; i < 4; ++i) r.d[i] = a.d[i] * b.v + a.v * b.d[i];
  return r;
}
Dual operator/(const Dual& a, const Dual& b) {
  Dual r(a.v / b.v);
  for (int i = 0; i < 4; ++i) r.d[i] = (a.d[i] * b.v - a.v * b.d[i]) / (b.v * b.v);
  return r;
}
Dual atan(const Dual& a) {
  Dual r(std::atan(a.v));
  for (int i = 0; i < 4; ++i) r.d[i] = a.d[i] / (1 + a.v * a.v);
  return r;
}
double value(const Dual& a) { return a.v; }
double value(double a) { return a; }
using std::atan;
template <typename S> S min_(const S& a, const S& b) { return value(a) <= value(b) ? a : b; }
template <typename S> S max_(const S& a, const S& b) { return value(a) >= value(b) ? a : b; }
template <typename S> S clamp0(const S& a) { return value(a) >= 0 ? a : S(0.0); }

// YOLOv5 bbox_iou(box1 = prediction, box2 = target, xywh=True, CIoU=True), eps = 1e-7.
// With alpha_grad false (YOLOv5) alpha is a constant for the gradient; true differentiates
// through it, which gradient checks need (finite differences see alpha move).
template <typename S>
S ciou_t(const S& x1, const S& y1, const S& w1, const S& h1, double x2, double y2, double w2, double h2,
         bool alpha_grad) {
  const double eps = 1e-7;
  const S half(0.5);
  const S b1x1 = x1 - w1 * half, b1x2 = x1 + w1 * half, b1y1 = y1 - h1 * half, b1y2 = y1 + h1 * half;
  const S b2x1(x2 - w2 / 2), b2x2(x2 + w2 / 2), b2y1(y2 - h2 / 2), b2y2(y2 + h2 / 2);
  const S inter = clamp0(min_(b1x2, b2x2) - max_(b1x1, b2x1)) * clamp0(min_(b1y2, b2y2) - max_(b1y1, b2y1));
  const S uni = w1 * h1 + S(w2 * h2) - inter + S(eps);
  const S iou = inter / uni;
  const S cw = max_(b1x2, b2x2) - min_(b1x1, b2x1);
  const S ch = max_(b1y2, b2y2) - min_(b1y1, b2y1);
  const S c2 = cw * cw + ch * ch + S(eps);
  const S dx = b2x1 + b2x2 - b1x1 - b1x2, dy = b2y1 + b2y2 - b1y1 - b1y2;
  const S rho2 = (dx * dx + dy * dy) / S(4.0);
  const S dv = S(std::atan(w2 / h2)) - atan(w1 / h1);
  const S v = S(4.0 / (M_PI * M_PI)) * dv * dv;
  const S alpha = alpha_grad ? v / (v - iou + S(1 + eps)) : S(value(v) / (value(v) - value(iou) + (1 + eps)));
  return iou - (rho2 / c2 + v * alpha);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
// BCE on a logit, stable form: max(z,0) - z t + log(1 + e^-|z|).
double bce(double z, double t) { return std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::fabs(z))); }

void check_inputs(const std::vector<Tensor>& pred, const std::vector<Tensor>& anchors, const LossConfig& c) {
  YP_CHECK(!pred.empty() && pred.size() == anchors.size(), "yolo_loss: " + std::to_string(pred.size()) +
                                                                " prediction levels but " +
                                                                std::to_string(anchors.size()) + " anchor sets");
  YP_CHECK(c.balance.size() >= pred.size(), "yolo_loss: balance has fewer entries than levels");
  for (size_t l = 0; l < pred.size(); ++l) {
    const Tensor& p = pred[l];
    check_float("yolo_loss", p);
    YP_CHECK(p.device() == Device::CPU, "yolo_loss: the loss runs on the CPU (move predictions with to(cpu))");
    check_dim("yolo_loss", p, 5, "each prediction level (N, na, H, W, 5+nc)");
    YP_CHECK(p.size(4) == 5 + c.nc, "yolo_loss: level " + std::to_string(l) + " has " + std::to_string(p.size(4)) +
                                        " outputs per anchor, expected 5 + nc = " + std::to_string(5 + c.nc));
    YP_CHECK(p.dtype() == pred[0].dtype() && p.size(0) == pred[0].size(0), "yolo_loss: levels differ in dtype or batch");
    YP_CHECK(anchors[l].shape() == Shape({p.size(1), 2}),
             "yolo_loss: anchors of level " + std::to_string(l) + " must be (na, 2), got " + shape_str(anchors[l].shape()));
  }
}

// Objectness weight of each (image, gj, gi) of one level from the masks: 1 (times the image weight), 0 in an ignore
// region, `hard_negative` in a hard negative's (an ignore region wins where both cover a cell: no loss either way).
// Positives are set apart by the caller.
std::vector<double> cell_weights(const LossMasks& m, int64_t batch, int64_t H, int64_t W, double hard_negative) {
  std::vector<double> w((size_t)(batch * H * W), 1.0);
  for (const MaskKind kind : {MaskKind::HardNegative, MaskKind::Ignore})
    for (const MaskRegion& r : m.regions) {
      if (r.kind != kind) continue;
      const int64_t j0 = std::max<int64_t>(0, (int64_t)std::floor((r.cy - r.r) * H)),
                    j1 = std::min<int64_t>(H - 1, (int64_t)std::floor((r.cy + r.r) * H));
      const int64_t i0 = std::max<int64_t>(0, (int64_t)std::floor((r.cx - r.r) * W)),
                    i1 = std::min<int64_t>(W - 1, (int64_t)std::floor((r.cx + r.r) * W));
      for (int64_t j = j0; j <= j1; ++j)
        for (int64_t i = i0; i <= i1; ++i) {
          const double dx = (i + 0.5) / W - r.cx, dy = (j + 0.5) / H - r.cy;
          if (dx * dx + dy * dy <= r.r * r.r)
            w[(size_t)((r.image * H + j) * W + i)] = kind == MaskKind::Ignore ? 0.0 : hard_negative;
        }
    }
  if (!m.image_weight.empty())
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t k = 0; k < H * W; ++k) w[(size_t)(b * H * W + k)] *= m.image_weight[(size_t)b];
  return w;
}

template <typename T>
LossResult loss_impl(const std::vector<Tensor>& pred, const std::vector<Tensor>& anchors,
                     const std::vector<Target>& targets, const LossConfig& c, const LossMasks& masks) {
  const int nl = (int)pred.size();
  const int64_t batch = pred[0].size(0);
  const int no = 5 + c.nc;
  const double cp = 1.0 - 0.5 * c.label_smoothing, cn = 0.5 * c.label_smoothing;
  const double box_gain = c.box_gain(nl), obj_gain = c.obj_gain(nl), cls_gain = c.cls_gain(nl);

  std::vector<Shape> shapes;
  for (const auto& p : pred) shapes.push_back(p.shape());
  std::vector<Assignment> assigned = build_targets(shapes, anchors, targets, c.anchor_t);
  if (!masks.regions.empty()) assigned = drop_hard_negative_assignments(assigned, shapes, targets, masks.regions);
  const bool masked = !masks.empty();
  auto image_weight = [&](int64_t b) { return masks.image_weight.empty() ? 1.0 : masks.image_weight[(size_t)b]; };

  LossResult out;
  out.positives = (int64_t)assigned.size();
  std::vector<Tensor> grads;
  double lbox = 0, lobj = 0, lcls = 0;
  for (int l = 0; l < nl; ++l) {
    const Tensor& p = pred[l];
    const int64_t na = p.size(1), H = p.size(2), W = p.size(3), cells = batch * na * H * W;
    const T* z = p.data<T>();
    Tensor grad = Tensor::zeros(p.shape(), p.dtype());
    T* gz = grad.data<T>();
    std::vector<double> tobj((size_t)cells, 0.0);
    // objectness weight per (image, anchor, cell): from the masks, 1 at positives (times the image weight)
    std::vector<double> wobj;
    if (masked) {
      const std::vector<double> wc = cell_weights(masks, batch, H, W, c.hard_negative);
      wobj.resize((size_t)cells);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t a = 0; a < na; ++a)
          std::copy_n(wc.begin() + b * H * W, H * W, wobj.begin() + (b * na + a) * H * W);
    }
    const Tensor anc = anchors[l].to(DType::F64);

    int64_t n = 0;
    for (const auto& a : assigned) n += a.level == l;
    for (const auto& a : assigned) {
      if (a.level != l) continue;
      const int64_t cell = ((a.image * na + a.anchor) * H + a.gj) * W + a.gi;
      const T* zc = z + cell * no;
      T* gc = gz + cell * no;
      const double s[4] = {sigmoid(zc[0]), sigmoid(zc[1]), sigmoid(zc[2]), sigmoid(zc[3])};
      const double aw = anc.at(a.anchor * 2), ah = anc.at(a.anchor * 2 + 1);
      Dual px(2 * s[0] - 0.5), py(2 * s[1] - 0.5), pw(4 * s[2] * s[2] * aw), ph(4 * s[3] * s[3] * ah);
      px.d[0] = py.d[1] = pw.d[2] = ph.d[3] = 1.0;
      const Dual iou = ciou_t(px, py, pw, ph, a.tx, a.ty, a.tw, a.th, c.ciou_alpha_grad);
      const double wi = image_weight(a.image);
      lbox += wi * (1.0 - iou.v) / n;
      // d total / d CIoU, then the chain rule through the decode to the logits.
      const double g = -box_gain * batch / n * wi;
      const double dbox_dz[4] = {2 * s[0] * (1 - s[0]), 2 * s[1] * (1 - s[1]), 8 * s[2] * s[2] * (1 - s[2]) * aw,
                                 8 * s[3] * s[3] * (1 - s[3]) * ah};
      for (int k = 0; k < 4; ++k) gc[k] += (T)(g * iou.d[k] * dbox_dz[k]);
      tobj[(size_t)cell] = std::max(iou.v, 0.0);  // detached; a later positive in the same cell wins
      if (masked) wobj[(size_t)cell] = wi;          // a positive is never ignored nor a hard negative
      if (c.nc > 1) {
        const double scale_c = cls_gain * batch / ((double)n * c.nc) * wi;
        for (int k = 0; k < c.nc; ++k) {
          const double t = k == a.cls ? cp : cn;
          lcls += wi * bce(zc[5 + k], t) / ((double)n * c.nc);
          gc[5 + k] += (T)(scale_c * (sigmoid(zc[5 + k]) - t));
        }
      }
    }
    const double scale_o = obj_gain * c.balance[l] * batch / (double)cells;
    double level_obj = 0;
    for (int64_t i = 0; i < cells; ++i) {
      const double zo = z[i * no + 4], t = tobj[(size_t)i];
      if (masked) {
        const double w = wobj[(size_t)i];
        level_obj += w * bce(zo, t);
        gz[i * no + 4] += (T)(scale_o * w * (sigmoid(zo) - t));
      } else {
        level_obj += bce(zo, t);
        gz[i * no + 4] += (T)(scale_o * (sigmoid(zo) - t));
      }
    }
    lobj += c.balance[l] * level_obj / (double)cells;
    grads.push_back(grad);
  }
  out.lbox = lbox * box_gain;
  out.lobj = lobj * obj_gain;
  out.lcls = lcls * cls_gain;
  Tensor total = Tensor::full({}, (out.lbox + out.lobj + out.lcls) * (double)batch, pred[0].dtype());
  out.total = record("yolo_loss", total, pred, [grads](const Tensor& g) {
    const double s = g.item();
    std::vector<Tensor> r;
    for (const auto& gr : grads) r.push_back(scale(gr, s));
    return r;
  });
  return out;
}

}  // namespace

double ciou(double px, double py, double pw, double ph, double tx, double ty, double tw, double th) {
  return ciou_t<double>(px, py, pw, ph, tx, ty, tw, th, false);
}

std::vector<Assignment> build_targets(const std::vector<Shape>& pred_shapes, const std::vector<Tensor>& anchors,
                                      const std::vector<Target>& targets, double anchor_t) {
  // Offsets (x, y) in units of g = 0.5: own cell, then left, up, right, down neighbours.
  static const int kOffsets[5][2] = {{0, 0}, {1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  const double g = 0.5;
  std::vector<Assignment> out;
  for (size_t l = 0; l < pred_shapes.size(); ++l) {
    const Shape& s = pred_shapes[l];
    const int64_t na = s[1], H = s[2], W = s[3];
    const Tensor anc = anchors[l].to(DType::F64).to(Device::CPU);
    // Kept (anchor, target) pairs in YOLOv5's order: anchor-major, then target.
    struct Pair {
      int a;
      int t;
      double gx, gy, gw, gh;
    };
    std::vector<Pair> kept;
    for (int a = 0; a < na; ++a)
      for (int ti = 0; ti < (int)targets.size(); ++ti) {
        const Target& t = targets[(size_t)ti];
        const double gw = t.w * W, gh = t.h * H;
        const double rw = gw / anc.at(a * 2), rh = gh / anc.at(a * 2 + 1);
        if (std::max(std::max(rw, 1 / rw), std::max(rh, 1 / rh)) < anchor_t) kept.push_back({a, ti, t.cx * W, t.cy * H, gw, gh});
      }
    for (int o = 0; o < 5; ++o) {
      for (const auto& k : kept) {
        const double gxi = W - k.gx, gyi = H - k.gy;
        bool use = true;
        switch (o) {
          case 1: use = std::fmod(k.gx, 1.0) < g && k.gx > 1; break;
          case 2: use = std::fmod(k.gy, 1.0) < g && k.gy > 1; break;
          case 3: use = std::fmod(gxi, 1.0) < g && gxi > 1; break;
          case 4: use = std::fmod(gyi, 1.0) < g && gyi > 1; break;
          default: break;
        }
        if (!use) continue;
        // gij = long(gxy - offset), clamped into the grid; YOLOv5 clamps gij in place (gi, gj are views of it)
        // before tbox = gxy - gij, so the box target is measured from the clamped cell too.
        const int64_t gi = (int64_t)(k.gx - kOffsets[o][0] * g), gj = (int64_t)(k.gy - kOffsets[o][1] * g);
        Assignment as;
        as.level = (int)l;
        as.image = targets[(size_t)k.t].image;
        as.anchor = k.a;
        as.cls = targets[(size_t)k.t].cls;
        as.target = k.t;
        as.gi = (int)std::clamp<int64_t>(gi, 0, W - 1);
        as.gj = (int)std::clamp<int64_t>(gj, 0, H - 1);
        as.tx = k.gx - (double)as.gi;
        as.ty = k.gy - (double)as.gj;
        as.tw = k.gw;
        as.th = k.gh;
        out.push_back(as);
      }
    }
  }
  return out;
}

std::vector<Assignment> drop_hard_negative_assignments(const std::vector<Assignment>& assigned,
                                                       const std::vector<Shape>& pred_shapes,
                                                       const std::vector<Target>& targets,
                                                       const std::vector<MaskRegion>& regions) {
  std::vector<Assignment> out;
  for (const Assignment& a : assigned) {
    const Shape& s = pred_shapes[(size_t)a.level];
    const double H = (double)s[2], W = (double)s[3];
    const double x = (a.gi + 0.5) / W, y = (a.gj + 0.5) / H;  // the cell centre, normalised
    const Target& t = targets[(size_t)a.target];
    const double d_target = (x - t.cx) * (x - t.cx) + (y - t.cy) * (y - t.cy);
    bool claimed = false;
    for (const MaskRegion& r : regions) {
      if (r.kind != MaskKind::HardNegative || r.image != a.image) continue;
      const double d = (x - r.cx) * (x - r.cx) + (y - r.cy) * (y - r.cy);
      claimed = claimed || (d <= r.r * r.r && d < d_target);
    }
    if (!claimed) out.push_back(a);
  }
  return out;
}

LossResult yolo_loss(const std::vector<Tensor>& pred, const std::vector<Tensor>& anchors,
                     const std::vector<Target>& targets, const LossConfig& config, const LossMasks& masks) {
  check_inputs(pred, anchors, config);
  const int64_t batch = pred[0].size(0);
  for (const auto& t : targets) {
    YP_CHECK(t.image >= 0 && t.image < batch, "yolo_loss: target refers to image " + std::to_string(t.image) +
                                                  " of a batch of " + std::to_string(batch));
    YP_CHECK(t.cls >= 0 && t.cls < config.nc, "yolo_loss: target class " + std::to_string(t.cls) + " outside [0, " +
                                                  std::to_string(config.nc) + ")");
    YP_CHECK(std::isfinite(t.cx) && std::isfinite(t.cy) && t.w > 0 && t.h > 0 && std::isfinite(t.w) && std::isfinite(t.h),
             "yolo_loss: target box must be finite with positive size");
  }
  YP_CHECK(masks.image_weight.empty() || (int64_t)masks.image_weight.size() == batch,
           "yolo_loss: " + std::to_string(masks.image_weight.size()) + " image weights for a batch of " +
               std::to_string(batch));
  for (const MaskRegion& r : masks.regions)
    YP_CHECK(r.image >= 0 && r.image < batch && std::isfinite(r.cx) && std::isfinite(r.cy) && r.r >= 0,
             "yolo_loss: a mask region must name an image of the batch and have a finite centre and radius >= 0");
  if (pred[0].dtype() == DType::F64) return loss_impl<double>(pred, anchors, targets, config, masks);
  return loss_impl<float>(pred, anchors, targets, config, masks);
}

std::vector<Tensor> loss_layout(const std::vector<Tensor>& raw, int num_anchors) {
  std::vector<Tensor> out;
  for (const Tensor& r : raw) {
    YP_CHECK(r.dim() == 4 && num_anchors > 0 && r.size(1) % num_anchors == 0,
             "loss_layout: level " + shape_str(r.shape()) + " is not (N, na * no, H, W) for na = " +
                 std::to_string(num_anchors));
    const int64_t n = r.size(0), c = r.size(1), h = r.size(2), w = r.size(3);
    out.push_back(to_device(permute(r.reshape({n, num_anchors, c / num_anchors, h, w}), {0, 1, 3, 4, 2}), Device::CPU));
  }
  return out;
}

}  // namespace yp::yolo
