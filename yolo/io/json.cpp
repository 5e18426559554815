// json.cpp: recursive-descent JSON reader (depth-bounded) and writer; see json.h.
#include "yolo/io/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "tensor/tensor.h"

namespace yp::io {

const Json* Json::find(const std::string& key) const {
  if (kind != Kind::Object) return nullptr;
  for (const auto& [k, v] : object)
    if (k == key) return &v;
  return nullptr;
}

int64_t Json::as_int() const {
  if (kind != Kind::Number || text.find_first_of(".eE") != std::string::npos)
    throw Error("JSON value '" + text + "' is not an integer");
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) throw Error("JSON integer '" + text + "' is out of range");
  return v;
}

double Json::as_double() const {
  if (kind != Kind::Number) throw Error("JSON value is not a number");
  return std::strtod(text.c_str(), nullptr);
}

Json Json::string(std::string s) {
  Json j;
  j.kind = Kind::String;
  j.text = std::move(s);
  return j;
}

Json Json::number(double v) {
  if (!std::isfinite(v)) throw Error("JSON cannot hold a non-finite number");
  Json j;
  j.kind = Kind::Number;
  char buf[32];
  for (int prec = 1; prec <= 17; ++prec) {  // shortest decimal that reads back to the same double
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  j.text = buf;
  return j;
}

Json Json::integer(int64_t v) {
  Json j;
  j.kind = Kind::Number;
  j.text = std::to_string(v);
  return j;
}

Json Json::array_of(std::vector<Json> items) {
  Json j;
  j.kind = Kind::Array;
  j.array = std::move(items);
  return j;
}

namespace {

class JsonParser {
 public:
  JsonParser(const char* s, size_t n, const std::string& label, const JsonLimits& lim) : s_(s), n_(n), label_(label), lim_(lim) {}

  Json parse_document() {
    if (n_ > lim_.max_bytes) fail("document exceeds " + std::to_string(lim_.max_bytes) + " bytes");
    Json v = value(0);
    skip_ws();
    if (i_ != n_) fail("unexpected text after the value");
    return v;
  }

 private:
  const char* s_;
  size_t n_, i_ = 0, values_ = 0;
  const std::string& label_;
  JsonLimits lim_;

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(label_ + ": bad JSON at byte " + std::to_string(i_) + ": " + why);
  }
  void skip_ws() {
    while (i_ < n_ && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool literal(const char* word) {
    size_t k = 0;
    while (word[k]) {
      if (i_ + k >= n_ || s_[i_ + k] != word[k]) return false;
      ++k;
    }
    i_ += k;
    return true;
  }
  Json value(int depth) {
    if (depth > lim_.max_depth) fail("nested deeper than " + std::to_string(lim_.max_depth));
    if (++values_ > lim_.max_values) fail("more than " + std::to_string(lim_.max_values) + " values");
    skip_ws();
    if (i_ >= n_) fail("unexpected end of text");
    Json v;
    const char c = s_[i_];
    if (c == '{') {
      v.kind = Json::Kind::Object;
      ++i_;
      skip_ws();
      if (i_ < n_ && s_[i_] == '}') return ++i_, v;
      std::unordered_set<std::string> keys;
      while (true) {
        skip_ws();
        if (i_ >= n_ || s_[i_] != '"') fail("expected a string key");
        std::string key = string_body();
        if (!keys.insert(key).second) fail("duplicate key \"" + key + "\"");
        skip_ws();
        if (i_ >= n_ || s_[i_] != ':') fail("expected ':'");
        ++i_;
        v.object.emplace_back(std::move(key), value(depth + 1));
        skip_ws();
        if (i_ < n_ && s_[i_] == ',') { ++i_; continue; }
        if (i_ < n_ && s_[i_] == '}') { ++i_; return v; }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::Array;
      ++i_;
      skip_ws();
      if (i_ < n_ && s_[i_] == ']') return ++i_, v;
      while (true) {
        v.array.push_back(value(depth + 1));
        skip_ws();
        if (i_ < n_ && s_[i_] == ',') { ++i_; continue; }
        if (i_ < n_ && s_[i_] == ']') { ++i_; return v; }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::String;
      v.text = string_body();
      return v;
    }
    if (literal("true")) { v.kind = Json::Kind::Bool; v.b = true; return v; }
    if (literal("false")) { v.kind = Json::Kind::Bool; return v; }
    if (literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::Kind::Number;
      v.text = number_text();
      return v;
    }
    fail(std::string("unexpected character '") + c + "'");
  }
  std::string number_text() {  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < n_ && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == d) fail("malformed number");
    };
    if (s_[i_] == '-') ++i_;
    if (i_ < n_ && s_[i_] == '0') ++i_;
    else digits();
    if (i_ < n_ && s_[i_] == '.') { ++i_; digits(); }
    if (i_ < n_ && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < n_ && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      digits();
    }
    return std::string(s_ + start, i_ - start);
  }
  unsigned hex4() {
    if (n_ - i_ < 4) fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }
  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += (char)cp;
    else if (cp < 0x800) { out += (char)(0xC0 | (cp >> 6)); out += (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { out += (char)(0xE0 | (cp >> 12)); out += (char)(0x80 | ((cp >> 6) & 0x3F)); out += (char)(0x80 | (cp & 0x3F)); }
    else { out += (char)(0xF0 | (cp >> 18)); out += (char)(0x80 | ((cp >> 12) & 0x3F)); out += (char)(0x80 | ((cp >> 6) & 0x3F)); out += (char)(0x80 | (cp & 0x3F)); }
  }
  std::string string_body() {  // at the opening quote
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= n_) fail("unterminated string");
      const unsigned char c = (unsigned char)s_[i_++];
      if (c == '"') return out;
      if (c < 0x20) fail("control character in a string");
      if (c != '\\') { out += (char)c; continue; }
      if (i_ >= n_) fail("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair encodes one code point above U+FFFF
            if (n_ - i_ < 2 || s_[i_] != '\\' || s_[i_ + 1] != 'u') fail("unpaired surrogate");
            i_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }
};

void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (const unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += (char)c;
        }
    }
  }
  out += '"';
}

void write_value(std::string& out, const Json& v, int depth) {
  if (depth > 256) throw Error("JSON value nested too deeply to write");
  switch (v.kind) {
    case Json::Kind::Null: out += "null"; break;
    case Json::Kind::Bool: out += v.b ? "true" : "false"; break;
    case Json::Kind::Number: out += v.text; break;
    case Json::Kind::String: write_string(out, v.text); break;
    case Json::Kind::Array:
      out += '[';
      for (size_t k = 0; k < v.array.size(); ++k) {
        if (k) out += ',';
        write_value(out, v.array[k], depth + 1);
      }
      out += ']';
      break;
    case Json::Kind::Object:
      out += '{';
      for (size_t k = 0; k < v.object.size(); ++k) {
        if (k) out += ',';
        write_string(out, v.object[k].first);
        out += ':';
        write_value(out, v.object[k].second, depth + 1);
      }
      out += '}';
      break;
  }
}

}  // namespace

Json parse_json(const char* text, size_t size, const std::string& label, const JsonLimits& limits) {
  return JsonParser(text, size, label, limits).parse_document();
}

std::string write_json(const Json& value) {
  std::string out;
  write_value(out, value, 0);
  return out;
}

}  // namespace yp::io
