// tta.cpp: dihedral views of a network input, their boxes mapped back, weighted boxes fusion (tta.h).
#include "yolo/tta.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "util/box.h"
#include "util/error.h"

namespace yp::yolo {

std::vector<TtaView> tta_views(int64_t height, int64_t width) {
  std::vector<TtaView> views;
  for (bool transpose : {false, true}) {
    if (transpose && height != width) break;
    for (bool flip_y : {false, true})
      for (bool flip_x : {false, true}) views.push_back({transpose, flip_x, flip_y});
  }
  return views;
}

Tensor view_input(const Tensor& input, const TtaView& v) {
  YP_CHECK(input.dim() == 4, "view_input: a (N, C, H, W) input");
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  YP_CHECK(!v.transpose || h == w, "view_input: a quarter turn needs a square input");
  const std::vector<float> in = input.to_vector();
  std::vector<float> out(in.size());
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        // Output pixel (i, j): undo the flips, then the transpose, to find the input pixel it shows.
        const int64_t i0 = v.flip_y ? h - 1 - i : i, j0 = v.flip_x ? w - 1 - j : j;
        const int64_t row = v.transpose ? j0 : i0, col = v.transpose ? i0 : j0;
        out[(size_t)((p * h + i) * w + j)] = in[(size_t)((p * h + row) * w + col)];
      }
  return Tensor::from_vector(out, input.shape()).to(input.device());
}

Detection undo_view(const Detection& d, const TtaView& v, int64_t height, int64_t width) {
  Detection o = d;
  if (v.flip_x) o.x1 = (float)width - d.x2, o.x2 = (float)width - d.x1;
  if (v.flip_y) o.y1 = (float)height - d.y2, o.y2 = (float)height - d.y1;
  if (v.transpose) std::swap(o.x1, o.y1), std::swap(o.x2, o.y2);
  return o;
}

std::vector<Detection> weighted_boxes_fusion(const std::vector<std::vector<Detection>>& lists, double iou_thres,
                                             bool agnostic, float floor, int max_det) {
  std::vector<Detection> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  std::stable_sort(all.begin(), all.end(), [](const Detection& a, const Detection& b) { return a.conf > b.conf; });
  struct Cluster {
    Detection fused;  // cls = the best member's
    double sx1 = 0, sy1 = 0, sx2 = 0, sy2 = 0, sconf = 0;
    int members = 0;
    int64_t cell = 0;  // where the grid holds it
  };
  // A grid over the fused boxes' centres, cells as wide as the largest box: a box overlapping a cluster's box by
  // IoU > 0 has its centre within one largest box side of the cluster's, so only the 3 x 3 cells around a box can
  // hold its cluster. The first cluster (in creation order) that qualifies is the same as a scan over all of them.
  float side = 1;
  for (const Detection& d : all) side = std::max({side, d.x2 - d.x1, d.y2 - d.y1});
  auto cell_of = [side](double cx, double cy) {
    return (int64_t)std::floor(cx / side) * 1000003 + (int64_t)std::floor(cy / side);
  };
  std::vector<Cluster> clusters;
  std::unordered_map<int64_t, std::vector<size_t>> grid;
  for (const Detection& d : all) {
    const double cx = 0.5 * (d.x1 + d.x2), cy = 0.5 * (d.y1 + d.y2);
    size_t home = clusters.size();
    for (int di = -1; di <= 1; ++di)
      for (int dj = -1; dj <= 1; ++dj) {
        const auto it = grid.find(cell_of(cx + di * side, cy + dj * side));
        if (it == grid.end()) continue;
        for (size_t k : it->second) {
          const Cluster& c = clusters[k];
          if (k >= home || (!agnostic && c.fused.cls != d.cls)) continue;
          const Box<double> a{c.fused.x1, c.fused.y1, c.fused.x2, c.fused.y2}, b{d.x1, d.y1, d.x2, d.y2};
          if (box_iou(a, b) > iou_thres) home = k;
        }
      }
    if (home == clusters.size()) {
      clusters.push_back({d});
      clusters.back().cell = cell_of(cx, cy);
      grid[clusters.back().cell].push_back(home);
    }
    Cluster& c = clusters[home];
    c.sx1 += (double)d.conf * d.x1, c.sy1 += (double)d.conf * d.y1;
    c.sx2 += (double)d.conf * d.x2, c.sy2 += (double)d.conf * d.y2;
    c.sconf += d.conf;
    ++c.members;
    c.fused.x1 = (float)(c.sx1 / c.sconf), c.fused.y1 = (float)(c.sy1 / c.sconf);
    c.fused.x2 = (float)(c.sx2 / c.sconf), c.fused.y2 = (float)(c.sy2 / c.sconf);
    const int64_t moved = cell_of(0.5 * (c.fused.x1 + c.fused.x2), 0.5 * (c.fused.y1 + c.fused.y2));
    if (moved != c.cell) {  // the fused box drifted into another cell
      std::vector<size_t>& old = grid[c.cell];
      old.erase(std::find(old.begin(), old.end(), home));
      grid[moved].push_back(home);
      c.cell = moved;
    }
  }
  const double views = std::max<size_t>(1, lists.size());
  std::vector<Detection> out;
  for (Cluster& c : clusters) {
    c.fused.conf = (float)(c.sconf / c.members * std::min<double>(c.members, views) / views);
    if (c.fused.conf >= floor) out.push_back(c.fused);
  }
  std::stable_sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) { return a.conf > b.conf; });
  if ((int)out.size() > max_det) out.resize((size_t)max_det);
  return out;
}

std::vector<Detection> detect_tta(const ForwardFn& forward, const Tensor& input, const NmsOptions& nms,
                                  NmsCapped* capped) {
  const int64_t h = input.size(2), w = input.size(3);
  std::vector<std::vector<Detection>> lists;
  for (const TtaView& v : tta_views(h, w)) {
    std::vector<Detection> found = non_max_suppression(forward(view_input(input, v)), nms, capped)[0];
    for (Detection& d : found) d = undo_view(d, v, h, w);
    lists.push_back(std::move(found));
  }
  return weighted_boxes_fusion(lists, kWbfIou, nms.agnostic, nms.conf_thres, nms.max_det);
}

}  // namespace yp::yolo
