// server.h: the review's HTTP server (cpp-httplib). Routes (every answer JSON unless said otherwise):
//   GET  /, /review.css, /review.js               the page (embedded, assets.h)
//   GET  /api/session                              classes, colours, threshold, folders, model
//   GET  /api/micrographs?threshold=T              name, size, status, counts per class >= T
//   GET  /api/micrographs/NAME/boxes               the boxes it starts from
//   POST /api/micrographs/NAME/boxes               save (requests.h SaveRequest)
//   POST /api/micrographs/NAME/pick                the model's picks (not saved: the page saves them)
//   GET  /api/micrographs/NAME/view/KIND           KIND = raw | processed: levels and scale (pyramid.h)
//   GET  /api/micrographs/NAME/view/KIND/L/TX/TY   one tile: width x height grey bytes
//                                                  (application/octet-stream, X-Tile-Width/-Height headers)
//   POST /api/export                               {"threshold": T}: review.json + rewrite the reviewed picks
// NAME is looked up in the session's list, never used as a path, so a request can only reach the files of the
// listed micrographs (../, %2e%2e, absolute paths: 404).
//
// Safety: bound to 127.0.0.1 unless a host is given. On loopback the Host header must name the loopback
// address (a web page elsewhere cannot reach the server through DNS rebinding), cross-origin requests are
// refused (Origin must match) and POSTs must be application/json (so a form on another site cannot post).
// With a token (any non-loopback host), every request must carry it: header X-Review-Token or ?token=.
// Bodies are limited to kMaxBodyBytes; a malformed request gets a 4xx with {"error": "..."}, never a crash.
#pragma once

#include <memory>
#include <string>

#include "review/project.h"

namespace yp::review {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                 // 0 = any free port
  std::string token;            // "" = none (loopback only)
  size_t cached_micrographs = 6;
};

bool is_loopback_host(const std::string& host);
// 128 random bits from the system's generator, as 32 hex digits.
std::string random_token();

class ReviewServer {
 public:
  ReviewServer(Project& project, ServerOptions options);
  ~ReviewServer();
  ReviewServer(const ReviewServer&) = delete;
  ReviewServer& operator=(const ReviewServer&) = delete;

  // Binds the socket; returns the port. Throws yp::Error when it cannot (port taken, bad host).
  int bind();
  // Serves until stop(); returns false when the server could not run.
  bool run();
  void stop();
  // http://HOST:PORT/ (and ?token=... when there is one): what to open in a browser.
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yp::review
