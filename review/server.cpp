// server.cpp: routes, request checks and limits of the review server (server.h).
#include "review/server.h"

#include <httplib.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "review/assets.h"
#include "review/pyramid.h"
#include "review/requests.h"
#include "tensor/tensor.h"  // yp::Error

namespace yp::review {

namespace {

constexpr const char* kPagePolicy =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

void reply_json(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_content(json, "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, encode_error(message));
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

ViewKind view_kind(const std::string& text) {
  if (text == "raw") return ViewKind::Raw;
  if (text == "processed") return ViewKind::Processed;
  throw RequestError(404, "no view '" + text + "' (raw or processed)");
}

int small_index(const std::string& text, const char* what) {
  if (text.empty() || text.size() > 6) throw RequestError(404, std::string("no such ") + what);
  return std::stoi(text);
}

std::string status_text(int status) {
  switch (status) {
    case 400: return "malformed request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large (at most " + std::to_string(kMaxBodyBytes >> 20) + " MiB)";
    case 414: return "URI too long";
    default: return "HTTP status " + std::to_string(status);
  }
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  static const std::regex ipv4_loopback(R"(127\.\d{1,3}\.\d{1,3}\.\d{1,3})");
  return host == "localhost" || host == "::1" || std::regex_match(host, ipv4_loopback);
}

std::string random_token() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof bytes)) throw Error("/dev/urandom: cannot read a token");
  std::string hex;
  char buf[3];
  for (unsigned char b : bytes) std::snprintf(buf, sizeof buf, "%02x", b), hex += buf;
  return hex;
}

struct ReviewServer::Impl {
  Project& project;
  ServerOptions options;
  httplib::Server http;
  PyramidCache pyramids;
  int port = -1;

  Impl(Project& p, ServerOptions o) : project(p), options(std::move(o)), pyramids(options.cached_micrographs) {}

  const Micrograph& micrograph(const std::string& name) const {
    const Micrograph* m = project.find(name);
    if (!m) throw RequestError(404, "no micrograph '" + name + "' in this session");
    return *m;
  }

  std::shared_ptr<const Pyramid> pyramid(const Micrograph& m, ViewKind kind) {
    const std::string key = m.name + (kind == ViewKind::Raw ? "|raw" : "|processed");
    return pyramids.get(key, [&] { return project.view(m, kind); });
  }

  // The checks every request passes before its route (server.h "Safety").
  httplib::Server::HandlerResponse admit(const httplib::Request& req, httplib::Response& res) const {
    const std::string host = req.get_header_value("Host");
    if (options.token.empty()) {
      const std::string p = ":" + std::to_string(port);
      if (host != "127.0.0.1" + p && host != "localhost" + p && host != "[::1]" + p && host != options.host + p) {
        reply_error(res, 403, "unexpected Host '" + host + "': open the URL the server printed");
        return httplib::Server::HandlerResponse::Handled;
      }
    } else {
      const std::string given = req.has_header("X-Review-Token") ? req.get_header_value("X-Review-Token")
                                                                 : req.get_param_value("token");
      if (!constant_time_equal(given, options.token)) {
        reply_error(res, 401, "missing or wrong token: open the URL the server printed (it ends in ?token=...)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (req.has_header("Origin") && req.get_header_value("Origin") != "http://" + host) {
      reply_error(res, 403, "cross-origin request refused");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST" && req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      reply_error(res, 415, "POST bodies must be application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  template <class Route>
  httplib::Server::Handler guarded(Route route) {
    return [route](const httplib::Request& req, httplib::Response& res) {
      try {
        route(req, res);
      } catch (const RequestError& e) {
        reply_error(res, e.status, e.what());
      } catch (const std::runtime_error& e) {  // a micrograph, pick or label file that cannot be read or written
        reply_error(res, 422, e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, e.what());
      }
    };
  }

  void add_routes() {
    for (const Asset& asset : embedded_assets()) {
      const Asset a = asset;
      http.Get(std::regex_replace(a.path, std::regex(R"([.])"), R"(\.)"), [a](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(a.body), a.content_type);
        res.set_header("Cache-Control", "no-cache");
        res.set_header("Content-Security-Policy", kPagePolicy);
      });
    }
    http.Get("/api/session", guarded([this](const httplib::Request&, httplib::Response& res) {
      reply_json(res, 200, encode_session(project, Pyramid::kTileSize));
    }));
    http.Get("/api/micrographs", guarded([this](const httplib::Request& req, httplib::Response& res) {
      double threshold = project.threshold();
      if (req.has_param("threshold")) {
        const std::string t = req.get_param_value("threshold");
        char* end = nullptr;
        threshold = std::strtod(t.c_str(), &end);
        if (t.empty() || *end || !(threshold >= 0 && threshold <= 1))
          throw RequestError(400, "threshold '" + t + "': expected a number in [0, 1]");
      }
      reply_json(res, 200, encode_micrograph_list(project, threshold));
    }));
    http.Get(R"(/api/micrographs/([^/]+)/boxes)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const Micrograph& m = micrograph(req.matches[1]);
      const LoadedBoxes boxes = project.load(m);
      reply_json(res, 200, encode_boxes(m, boxes, project.status(m)));
    }));
    http.Post(R"(/api/micrographs/([^/]+)/boxes)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const Micrograph& m = micrograph(req.matches[1]);
      if (!m.error.empty()) throw RequestError(422, m.error);
      const SaveRequest r = decode_save_request(req.body, m.width, m.height);
      const SaveResult saved = project.save(m, r.boxes, r.threshold, r.label);
      reply_json(res, 200, encode_save_result(saved, project.summary(m, r.threshold)));
    }));
    http.Post(R"(/api/micrographs/([^/]+)/pick)", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const Micrograph& m = micrograph(req.matches[1]);
      if (!project.can_pick()) throw RequestError(409, "no model: start the review with --model to pick");
      reply_json(res, 200, encode_picks(project.pick(m)));
    }));
    http.Get(R"(/api/micrographs/([^/]+)/view/([a-z]+))", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const Micrograph& m = micrograph(req.matches[1]);
      const ViewKind kind = view_kind(req.matches[2]);
      const std::string description = kind == ViewKind::Raw ? "as stored, 0.5-99.5 % contrast"
                                                            : project.processed_description();
      reply_json(res, 200, encode_view(m, *pyramid(m, kind), description));
    }));
    http.Get(R"(/api/micrographs/([^/]+)/view/([a-z]+)/(\d+)/(\d+)/(\d+))",
             guarded([this](const httplib::Request& req, httplib::Response& res) {
               const Micrograph& m = micrograph(req.matches[1]);
               const ViewKind kind = view_kind(req.matches[2]);
               const int level = small_index(req.matches[3], "level");
               const int tx = small_index(req.matches[4], "tile"), ty = small_index(req.matches[5], "tile");
               const auto p = pyramid(m, kind);
               if (level >= p->levels() || tx >= p->tiles_x(level) || ty >= p->tiles_y(level))
                 throw RequestError(404, "no tile " + std::to_string(level) + "/" + std::to_string(tx) + "/" +
                                             std::to_string(ty));
               const Gray8 tile = p->tile(level, tx, ty);
               res.set_content(std::string(tile.pixels.begin(), tile.pixels.end()), "application/octet-stream");
               res.set_header("X-Tile-Width", std::to_string(tile.width));
               res.set_header("X-Tile-Height", std::to_string(tile.height));
               res.set_header("Cache-Control", "private, max-age=3600");
             }));
    http.Post("/api/export", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const double threshold = decode_threshold_request(req.body);
      reply_json(res, 200, encode_export_result(project.export_reviewed(threshold), threshold));
    }));
  }

  void configure() {
    http.set_payload_max_length(kMaxBodyBytes);
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return admit(req, res); });
    http.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Content-Type-Options", "nosniff");
      if (req.path.rfind("/api/", 0) == 0 && !res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
    });
    // Statuses without a body of ours (404 of an unknown path, 413 of a body over the limit, 400 of a request
    // httplib could not parse) get the same JSON shape as the rest.
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) reply_error(res, res.status, status_text(res.status));
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      reply_error(res, 500, what);
    });
    add_routes();
  }
};

ReviewServer::ReviewServer(Project& project, ServerOptions options)
    : impl_(std::make_unique<Impl>(project, std::move(options))) {
  if (!is_loopback_host(impl_->options.host) && impl_->options.token.empty())
    throw Error("--host " + impl_->options.host + " is not loopback: the server needs a token");
  impl_->configure();
}

ReviewServer::~ReviewServer() { stop(); }

int ReviewServer::bind() {
  Impl& s = *impl_;
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.host);
  } else {
    s.port = s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1;
  }
  if (s.port <= 0)
    throw Error("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                " (port in use or address not on this machine)");
  return s.port;
}

bool ReviewServer::run() { return impl_->http.listen_after_bind(); }

void ReviewServer::stop() { impl_->http.stop(); }

std::string ReviewServer::url() const {
  std::string host = impl_->options.host;
  if (host == "0.0.0.0" || host == "::") {  // every interface: name this machine, which other machines can reach
    char name[256] = {0};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0]) host = name;
  }
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string u = "http://" + shown + ":" + std::to_string(impl_->port) + "/";
  if (!impl_->options.token.empty()) u += "?token=" + impl_->options.token;
  return u;
}

}  // namespace yp::review
