// pyramid.h: an 8-bit view of a micrograph at every power-of-two scale, cut into tiles, so the page pans and
// zooms a 4096^2 micrograph smoothly: it draws the coarsest level (one tile, the preview) at once and fetches
// only the visible tiles of the level that matches the zoom.
//
//   level 0 = the view at full size; level k+1 = the mean of 2 x 2 blocks of level k (an odd last row/column
//   is averaged with itself), ceil(w / 2) x ceil(h / 2); the last level fits in one tile.
//   Pixel (i, j) of level k covers view pixels [i 2^k, (i + 1) 2^k): its edges are the view's pixel edges
//   times 2^k, so the page scales a level by 2^k and it lines up with the boxes.
//   Tile (tx, ty) of a level holds pixels [tx T, min((tx + 1) T, w)) x [ty T, ...), T = kTileSize.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace yp::review {

// A grey picture, row-major, row 0 = the micrograph's row 0 (nothing is flipped).
struct Gray8 {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height * width
};

// Mean of 2 x 2 blocks, rounded to nearest; an odd last row/column is averaged with itself.
Gray8 downsample2(const Gray8& in);

class Pyramid {
 public:
  static constexpr int kTileSize = 512;

  explicit Pyramid(Gray8 full);
  int levels() const { return static_cast<int>(levels_.size()); }
  const Gray8& level(int k) const { return levels_.at(k); }
  int tiles_x(int k) const;
  int tiles_y(int k) const;
  // The tile's pixels; throws std::out_of_range for a level or tile that does not exist.
  Gray8 tile(int k, int tx, int ty) const;

 private:
  std::vector<Gray8> levels_;
};

// The pyramids of the micrographs seen last, at most `capacity` of them (a 4096^2 view takes 22 MB). A pyramid
// is built once even when many tile requests for it arrive together: the others wait for it.
class PyramidCache {
 public:
  explicit PyramidCache(size_t capacity) : capacity_(capacity) {}
  using Builder = std::function<Gray8()>;
  // The pyramid for `key`, built by `build` when absent. When `build` throws, the exception reaches its caller
  // and nothing is cached: the next caller (also one that was waiting) tries again.
  std::shared_ptr<const Pyramid> get(const std::string& key, const Builder& build);

 private:
  struct Slot {
    std::mutex building;  // held while the pyramid is built; waiters queue on it
    std::shared_ptr<const Pyramid> pyramid;
  };
  size_t capacity_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
  std::list<std::string> recent_;  // most recent first
};

}  // namespace yp::review
