// requests.cpp: decoding and encoding the review API's JSON (requests.h).
#include "review/requests.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "tensor/tensor.h"  // yp::Error
#include "yolo/io/json.h"

namespace yp::review {

using io::Json;

namespace {

io::JsonLimits request_limits() {
  io::JsonLimits limits;
  limits.max_bytes = kMaxBodyBytes;
  limits.max_depth = 8;
  limits.max_values = kMaxBoxes * 8 + 64;
  return limits;
}

Json parse_body(const std::string& body) {
  try {
    return io::parse_json(body.data(), body.size(), "request body", request_limits());
  } catch (const std::exception& e) {
    throw RequestError(400, e.what());
  }
}

Json object(std::vector<std::pair<std::string, Json>> members) {
  Json j;
  j.kind = Json::Kind::Object;
  j.object = std::move(members);
  return j;
}

Json boolean(bool b) {
  Json j;
  j.kind = Json::Kind::Bool;
  j.b = b;
  return j;
}

// Coordinates to 1/1000 px and confidences to 6 decimals keep the answers short; both are finer than any format
// stores. Dividing by the power of ten (not multiplying by its inverse) gives the double nearest the decimal.
Json rounded(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return Json::number(std::round(v * scale) / scale);
}

Json box_json(const Pick& p) {
  return object({{"x", rounded(p.x, 3)},
                 {"y", rounded(p.y, 3)},
                 {"w", rounded(p.w, 3)},
                 {"h", rounded(p.h, 3)},
                 {"class", Json::integer(p.cls)},
                 {"confidence", rounded(p.confidence, 6)}});
}

Json boxes_json(const std::vector<Pick>& picks) {
  std::vector<Json> items;
  items.reserve(picks.size());
  for (const Pick& p : picks) items.push_back(box_json(p));
  return Json::array_of(std::move(items));
}

Json ints_json(const std::vector<int>& values) {
  std::vector<Json> items;
  for (int v : values) items.push_back(Json::integer(v));
  return Json::array_of(std::move(items));
}

// Checked readers of one member: "boxes[3].w: expected a number".
const Json& member(const Json& obj, const char* key, const std::string& where) {
  const Json* v = obj.find(key);
  if (!v) throw RequestError(400, where + ": missing \"" + key + "\"");
  return *v;
}

double number(const Json& v, const std::string& where) {
  if (!v.is(Json::Kind::Number)) throw RequestError(400, where + ": expected a number");
  const double d = v.as_double();
  if (!std::isfinite(d)) throw RequestError(400, where + ": not a finite number");
  return d;
}

double number_in(const Json& v, const std::string& where, double lo, double hi) {
  const double d = number(v, where);
  if (d < lo || d > hi)
    throw RequestError(422, where + ": " + v.text + " is outside [" + Json::number(lo).text + ", " + Json::number(hi).text + "]");
  return d;
}

void only_keys(const Json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  if (!obj.is(Json::Kind::Object)) throw RequestError(400, where + ": expected an object");
  for (const auto& kv : obj.object)
    if (std::none_of(keys.begin(), keys.end(), [&](const char* allowed) { return kv.first == allowed; }))
      throw RequestError(400, where + ": unknown key \"" + kv.first + "\"");
}

Pick decode_box(const Json& j, const std::string& where, int width, int height) {
  only_keys(j, {"x", "y", "w", "h", "class", "confidence"}, where);
  Pick p;
  // Centres on the micrograph: pixel centres are integers, so its edges are at -0.5 and W - 0.5.
  p.x = number_in(member(j, "x", where), where + ".x", -0.5, width - 0.5);
  p.y = number_in(member(j, "y", where), where + ".y", -0.5, height - 0.5);
  const double longest = 4.0 * std::max(width, height);
  p.w = number_in(member(j, "w", where), where + ".w", 0, longest);
  p.h = number_in(member(j, "h", where), where + ".h", 0, longest);
  if (p.w <= 0 || p.h <= 0) throw RequestError(422, where + ": a box needs a positive width and height");
  const double cls = number_in(member(j, "class", where), where + ".class", 0, kMaxClasses - 1);
  if (cls != std::floor(cls)) throw RequestError(422, where + ".class: not an integer");
  p.cls = static_cast<int>(cls);
  const Json* conf = j.find("confidence");
  p.confidence = conf ? number_in(*conf, where + ".confidence", -1e9, 1e9) : 1.0;
  return p;
}

}  // namespace

SaveRequest decode_save_request(const std::string& body, int width, int height) {
  const Json root = parse_body(body);
  only_keys(root, {"boxes", "threshold", "label"}, "request");
  const Json& boxes = member(root, "boxes", "request");
  if (!boxes.is(Json::Kind::Array)) throw RequestError(400, "request.boxes: expected an array");
  if (boxes.array.size() > kMaxBoxes)
    throw RequestError(413, "request.boxes: " + std::to_string(boxes.array.size()) + " boxes, at most " +
                                std::to_string(kMaxBoxes));
  SaveRequest r;
  r.boxes.reserve(boxes.array.size());
  for (size_t i = 0; i < boxes.array.size(); ++i)
    r.boxes.push_back(decode_box(boxes.array[i], "boxes[" + std::to_string(i) + "]", width, height));
  r.threshold = number_in(member(root, "threshold", "request"), "request.threshold", 0, 1);
  const Json& label = member(root, "label", "request");
  if (!label.is(Json::Kind::Bool)) throw RequestError(400, "request.label: expected true or false");
  r.label = label.b;
  return r;
}

double decode_threshold_request(const std::string& body) {
  const Json root = parse_body(body);
  only_keys(root, {"threshold"}, "request");
  return number_in(member(root, "threshold", "request"), "request.threshold", 0, 1);
}

std::string encode_settings(const Settings& settings) {
  return io::write_json(object({{"threshold", Json::number(settings.threshold)}})) + "\n";
}

Settings decode_settings(const std::string& text, const std::string& label) {
  try {
    const Json root = io::parse_json(text.data(), text.size(), label, request_limits());
    only_keys(root, {"threshold"}, label);
    Settings s;
    s.threshold = number_in(member(root, "threshold", label), label + ": threshold", 0, 1);
    return s;
  } catch (const std::exception& e) {
    throw Error(std::string(e.what()) + " (delete the file to start from the defaults)");
  }
}

std::string encode_error(const std::string& message) {
  return io::write_json(object({{"error", Json::string(message)}}));
}

std::string encode_session(const Project& project, int tile_size) {
  const std::vector<std::string> names = project.class_names();
  std::vector<Json> classes;
  for (size_t k = 0; k < names.size(); ++k)
    classes.push_back(object({{"id", Json::integer(static_cast<int64_t>(k))},
                              {"name", Json::string(names[k])},
                              {"colour", Json::string(class_colour_hex(static_cast<int>(k)))}}));
  const std::string model = project.model_path();
  return io::write_json(object({
      {"classes", Json::array_of(std::move(classes))},
      {"threshold", Json::number(project.threshold())},
      {"default_label", boolean(project.default_label())},
      {"can_pick", boolean(project.can_pick())},
      {"model", Json::string(model.empty() ? "" : std::filesystem::path(model).filename().string())},
      {"processed", Json::string(project.processed_description())},
      {"labels_dir", Json::string(project.labels_description())},
      {"picks_dir", Json::string(project.picks_dir())},
      {"out_dir", Json::string(project.out_dir())},
      {"tile_size", Json::integer(tile_size)},
      {"micrographs", Json::integer(static_cast<int64_t>(project.micrographs().size()))},
  }));
}

std::string encode_micrograph_list(const Project& project, double threshold) {
  std::vector<Json> items;
  for (const Micrograph& m : project.micrographs()) {
    const Summary s = project.summary(m, threshold);
    std::string error = !m.error.empty() ? m.error : s.error;
    items.push_back(object({{"name", Json::string(m.name)},
                            {"file", Json::string(std::filesystem::path(m.path).filename().string())},
                            {"width", Json::integer(m.width)},
                            {"height", Json::integer(m.height)},
                            {"status", Json::string(status_name(s.status))},
                            {"source", Json::string(s.source)},
                            {"counts", ints_json(s.counts)},
                            {"below", Json::integer(s.below)},
                            {"error", Json::string(error)}}));
  }
  // Typical box per class (median of the boxes just read, else --box): the size of a new box.
  std::vector<Json> sizes;
  for (size_t k = 0; k < project.class_names().size(); ++k) {
    const auto [w, h] = project.typical_box(static_cast<int>(k));
    sizes.push_back(Json::array_of({rounded(w, 1), rounded(h, 1)}));
  }
  return io::write_json(object({{"threshold", Json::number(threshold)},
                                {"classes", Json::integer(static_cast<int64_t>(project.class_names().size()))},
                                {"box_sizes", Json::array_of(std::move(sizes))},
                                {"micrographs", Json::array_of(std::move(items))}}));
}

std::string encode_boxes(const Micrograph& m, const LoadedBoxes& boxes, Status status) {
  return io::write_json(object({{"name", Json::string(m.name)},
                                {"width", Json::integer(m.width)},
                                {"height", Json::integer(m.height)},
                                {"source", Json::string(boxes.source)},
                                {"source_path", Json::string(boxes.source_path)},
                                {"status", Json::string(status_name(status))},
                                {"label", boolean(boxes.label)},
                                {"boxes", boxes_json(boxes.picks)}}));
}

std::string encode_picks(const std::vector<Pick>& picks) { return io::write_json(object({{"boxes", boxes_json(picks)}})); }

std::string encode_save_result(const SaveResult& result, const Summary& summary) {
  std::vector<Json> files;
  for (const std::string& f : result.files) files.push_back(Json::string(f));
  return io::write_json(object({{"saved_at", Json::string(result.saved_at)},
                                {"status", Json::string(status_name(result.status))},
                                {"files", Json::array_of(std::move(files))},
                                {"counts", ints_json(summary.counts)},
                                {"below", Json::integer(summary.below)}}));
}

std::string encode_export_result(int count, double threshold) {
  return io::write_json(object({{"exported", Json::integer(count)}, {"threshold", Json::number(threshold)}}));
}

std::string encode_view(const Micrograph& m, const Pyramid& pyramid, const std::string& description) {
  std::vector<Json> levels;
  for (int k = 0; k < pyramid.levels(); ++k)
    levels.push_back(object({{"width", Json::integer(pyramid.level(k).width)},
                             {"height", Json::integer(pyramid.level(k).height)},
                             {"tiles_x", Json::integer(pyramid.tiles_x(k))},
                             {"tiles_y", Json::integer(pyramid.tiles_y(k))}}));
  const Gray8& full = pyramid.level(0);
  // A view pixel's edges map to the micrograph's edges times the scale (pixel centres aligned, as the chain's
  // bicubic resize and `pick` map them back).
  return io::write_json(object({{"width", Json::integer(full.width)},
                                {"height", Json::integer(full.height)},
                                {"scale_x", Json::number(double(m.width) / full.width)},
                                {"scale_y", Json::number(double(m.height) / full.height)},
                                {"tile_size", Json::integer(Pyramid::kTileSize)},
                                {"description", Json::string(description)},
                                {"levels", Json::array_of(std::move(levels))}}));
}

}  // namespace yp::review
