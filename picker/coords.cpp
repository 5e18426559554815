// coords.cpp: box IoU, file-name keys and the text helpers shared by the pick-file formats.
#include "picker/coords.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tensor/tensor.h"  // yp::Error only

namespace yp::picker {

double box_iou(const Pick& a, const Pick& b) {
  const double ix = std::min(a.x + a.w / 2, b.x + b.w / 2) - std::max(a.x - a.w / 2, b.x - b.w / 2);
  const double iy = std::min(a.y + a.h / 2, b.y + b.h / 2) - std::max(a.y - a.h / 2, b.y - b.h / 2);
  if (ix <= 0 || iy <= 0) return 0.0;
  const double inter = ix * iy;
  const double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::string micrograph_key(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (const char* suffix : {"_autopick", "_manualpick", "_picks", "_truth"}) {
    const std::string s(suffix);
    if (stem.size() > s.size() && stem.compare(stem.size() - s.size(), s.size(), s) == 0) {
      stem.resize(stem.size() - s.size());
      break;
    }
  }
  return stem;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot open for writing");
    out << content;
    out.flush();
    if (!out) throw Error(path + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot rename temporary file: " + ec.message());
}

std::vector<std::string> split_whitespace(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream ss(line);
  std::string tok;
  while (ss >> tok) out.push_back(tok);
  return out;
}

std::vector<std::string> split_char(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == sep) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

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
  if (v != std::floor(v) || std::fabs(v) > 1e9) fail_at(file, line, std::string("bad ") + what + " '" + token + "' (not an integer)");
  return static_cast<int>(v);
}

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace yp::picker
