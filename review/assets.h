// assets.h: the review page's files (review/web/), compiled into the binary by review/embed_assets.cmake,
// so `yolopick review` serves its page with no build step, no files beside the program and no network.
#pragma once

#include <string_view>
#include <vector>

namespace yp::review {

struct Asset {
  const char* path;          // URL path: "/", "/index.html", "/review.js", ...
  const char* content_type;
  std::string_view body;
};

const std::vector<Asset>& embedded_assets();

}  // namespace yp::review
