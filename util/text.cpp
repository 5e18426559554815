// text.cpp: trimming, splitting, file names, whole-file text I/O and number parsing (text.h).
#include "util/text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"

namespace yp {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split_char(const std::string& line, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at = line.find(sep); at != std::string::npos; at = line.find(sep, start)) {
    out.push_back(trim(line.substr(start, at - start)));
    start = at + 1;
  }
  out.push_back(trim(line.substr(start)));
  return out;
}

std::vector<std::string> split_whitespace(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream ss(line);
  for (std::string tok; ss >> tok;) out.push_back(tok);
  return out;
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower_extension(const std::string& path) {
  return to_lower(std::filesystem::path(path).extension().string());
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // A UTF-8 byte order mark (Windows editors write one) is not part of the text: dropped, not a parse error
  // about an invisible character on line 1.
  if (starts_with(text, "\xEF\xBB\xBF")) text.erase(0, 3);
  return text;
}

void write_text_file_atomic(const std::string& path, const std::string& content) { write_file_atomic(path, content); }

void fail_at(const std::string& file, int line, const std::string& msg) {
  throw Error(file + ":" + std::to_string(line) + ": " + msg);
}

double parse_double(const std::string& token, const std::string& file, int line, const char* what) {
  const char* s = token.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (token.empty() || end != s + token.size() || errno == ERANGE || !std::isfinite(v))
    fail_at(file, line, std::string("bad ") + what + " '" + token + "'");
  return v;
}

int parse_int(const std::string& token, const std::string& file, int line, const char* what) {
  const double v = parse_double(token, file, line, what);
  if (v != std::floor(v) || std::fabs(v) > 1e9)
    fail_at(file, line, std::string("bad ") + what + " '" + token + "' (not an integer)");
  return static_cast<int>(v);
}

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  // -0.2 rounded to 0 decimals prints "-0": a zero has no sign in a coordinate file (.box corners were "-0").
  if (buf[0] == '-' && std::string(buf + 1).find_first_not_of("0.") == std::string::npos) return buf + 1;
  return buf;
}

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace yp
