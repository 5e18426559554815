// requests.h: the review API's JSON - decoding what the page sends (strict: unknown keys, wrong types, values
// out of range and oversized inputs are refused with a RequestError naming the problem) and encoding the
// answers. JSON text goes through yolo/io/json.h, the project's bounded reader and writer.
//
// Boxes travel as {"x": 512.0, "y": 300.5, "w": 160, "h": 160, "class": 0, "confidence": 0.91}: centre in the
// micrograph's pixels (pixel centres at integers, y = row as stored), size in pixels (picker/coords.h).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "review/project.h"
#include "review/pyramid.h"

namespace yp::review {

// A request the server refuses; `status` is the HTTP status (400 malformed, 404 unknown, 413 too large,
// 422 valid JSON that makes no sense here).
struct RequestError : std::runtime_error {
  int status;
  RequestError(int status_code, const std::string& message) : std::runtime_error(message), status(status_code) {}
};

// Bounds on one request: enough for 100 000 boxes, small enough that a bad client cannot exhaust memory.
constexpr size_t kMaxBodyBytes = size_t(16) << 20;
constexpr size_t kMaxBoxes = 100000;

struct SaveRequest {
  std::vector<Pick> boxes;
  double threshold = 0.25;
  bool label = false;
};
// {"boxes": [...], "threshold": T, "label": true}. Centres must lie on the micrograph (edges included), sizes
// in (0, 4 x its longer side], classes in [0, kMaxClasses), confidences finite and within +-1e9 (a foreign
// STAR's figure of merit, e.g. RELION LoG's, is not a probability; yolopick's are in [0, 1]).
SaveRequest decode_save_request(const std::string& body, int width, int height);
// {"threshold": T}, T in [0, 1].
double decode_threshold_request(const std::string& body);

// out/review.json: the session's settings that outlive it.
struct Settings {
  double threshold = 0.25;
};
std::string encode_settings(const Settings& settings);
// `label` names the file in errors (yp::Error).
Settings decode_settings(const std::string& text, const std::string& label);

std::string encode_error(const std::string& message);
std::string encode_session(const Project& project, int tile_size);
std::string encode_micrograph_list(const Project& project, double threshold);
std::string encode_boxes(const Micrograph& m, const LoadedBoxes& boxes, Status status);
std::string encode_picks(const std::vector<Pick>& picks);
std::string encode_save_result(const SaveResult& result, const Summary& summary);
std::string encode_export_result(int count, double threshold);
// The view's levels and how its pixels map to the micrograph's (a processed view may be resized).
std::string encode_view(const Micrograph& m, const Pyramid& pyramid, const std::string& description);

}  // namespace yp::review
