// pyramid.cpp: power-of-two levels, tiles and the cache of recent pyramids (pyramid.h).
#include "review/pyramid.h"

#include <algorithm>
#include <stdexcept>

namespace yp::review {

Gray8 downsample2(const Gray8& in) {
  Gray8 out;
  out.width = (in.width + 1) / 2;
  out.height = (in.height + 1) / 2;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* r0 = in.pixels.data() + static_cast<size_t>(2 * y) * in.width;
    const uint8_t* r1 = in.pixels.data() + static_cast<size_t>(std::min(2 * y + 1, in.height - 1)) * in.width;
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * out.width;
    for (int x = 0; x < out.width; ++x) {
      const int x0 = 2 * x, x1 = std::min(2 * x + 1, in.width - 1);
      o[x] = static_cast<uint8_t>((r0[x0] + r0[x1] + r1[x0] + r1[x1] + 2) / 4);
    }
  }
  return out;
}

Pyramid::Pyramid(Gray8 full) {
  if (full.width <= 0 || full.height <= 0 || full.pixels.size() != static_cast<size_t>(full.width) * full.height)
    throw std::invalid_argument("pyramid of an empty or inconsistent picture");
  levels_.push_back(std::move(full));
  while (std::max(levels_.back().width, levels_.back().height) > kTileSize) levels_.push_back(downsample2(levels_.back()));
}

int Pyramid::tiles_x(int k) const { return (level(k).width + kTileSize - 1) / kTileSize; }
int Pyramid::tiles_y(int k) const { return (level(k).height + kTileSize - 1) / kTileSize; }

Gray8 Pyramid::tile(int k, int tx, int ty) const {
  if (k < 0 || k >= levels() || tx < 0 || ty < 0 || tx >= tiles_x(k) || ty >= tiles_y(k))
    throw std::out_of_range("no such tile");
  const Gray8& l = levels_[k];
  Gray8 t;
  const int x0 = tx * kTileSize, y0 = ty * kTileSize;
  t.width = std::min(kTileSize, l.width - x0);
  t.height = std::min(kTileSize, l.height - y0);
  t.pixels.resize(static_cast<size_t>(t.width) * t.height);
  for (int y = 0; y < t.height; ++y)
    std::copy_n(l.pixels.data() + static_cast<size_t>(y0 + y) * l.width + x0, t.width,
                t.pixels.data() + static_cast<size_t>(y) * t.width);
  return t;
}

std::shared_ptr<const Pyramid> PyramidCache::get(const std::string& key, const Builder& build) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(key);
    if (it == slots_.end()) it = slots_.emplace(key, std::make_shared<Slot>()).first;
    slot = it->second;
    recent_.remove(key);
    recent_.push_front(key);
    while (recent_.size() > capacity_) {  // requests that hold an evicted pyramid keep it alive until done
      slots_.erase(recent_.back());
      recent_.pop_back();
    }
  }
  std::lock_guard<std::mutex> building(slot->building);
  if (!slot->pyramid) slot->pyramid = std::make_shared<const Pyramid>(build());
  return slot->pyramid;
}

}  // namespace yp::review
