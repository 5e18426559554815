// args.cpp: the sub-commands' argument reader (args.h).
#include "apps/args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"

namespace yp::app {

namespace {
// 1e-08, 0.5, 50000: the shortest %g that shows the bound.
std::string fmt_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

double parse_number(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !std::isfinite(d)) throw Error(flag + ": bad number '" + text + "'");
  return d;
}

int parse_integer(const std::string& flag, const std::string& text, int lo, int hi) {
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || d != std::floor(d) || d < lo || d > hi)
    throw Error(flag + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
                text + "'");
  return static_cast<int>(d);
}

std::pair<int, int> parse_int_pair(const std::string& flag, const std::string& text, int lo, int hi) {
  const size_t x = text.find_first_of("xX,");
  if (x == std::string::npos) {
    const int n = parse_integer(flag, text, lo, hi);
    return {n, n};
  }
  return {parse_integer(flag, text.substr(0, x), lo, hi), parse_integer(flag, text.substr(x + 1), lo, hi)};
}

ArgReader::ArgReader(const Args& args, std::string command, size_t first)
    : args_(args), command_(std::move(command)), next_(first) {}

bool ArgReader::next() {
  if (next_ >= args_.size()) return false;
  current_ = next_++;
  return true;
}

const std::string& ArgReader::arg() const { return args_[current_]; }
bool ArgReader::is(const char* flag) const { return arg() == flag; }
bool ArgReader::is(const char* flag, const char* alias) const { return arg() == flag || arg() == alias; }
bool ArgReader::help() const { return is("--help", "-h"); }
bool ArgReader::positional() const { return arg().empty() || arg()[0] != '-'; }

std::string ArgReader::value() {
  if (next_ >= args_.size()) throw Error(arg() + " needs a value");
  return args_[next_++];
}

double ArgReader::number() {
  const std::string& flag = arg();
  return parse_number(flag, value());
}

int ArgReader::integer(int lo, int hi) {
  const std::string& flag = arg();
  return parse_integer(flag, value(), lo, hi);
}

double ArgReader::fraction() {
  const std::string& flag = arg();
  const std::string text = value();
  const double d = parse_number(flag, text);
  if (d < 0 || d > 1) throw Error(flag + ": expected a value in [0, 1], got '" + text + "'");
  return d;
}

double ArgReader::number_in(double lo, double hi) {
  const std::string& flag = arg();
  const std::string text = value();
  const double d = parse_number(flag, text);
  if (d < lo || d > hi)
    throw Error(flag + ": expected a number in [" + fmt_number(lo) + ", " + fmt_number(hi) + "], got '" + text + "'");
  return d;
}

std::pair<int, int> ArgReader::int_pair(int lo, int hi) {
  const std::string& flag = arg();
  return parse_int_pair(flag, value(), lo, hi);
}

std::vector<std::string> ArgReader::values() {
  std::vector<std::string> out;
  while (next_ < args_.size() && (args_[next_].empty() || args_[next_][0] != '-')) out.push_back(args_[next_++]);
  if (out.empty()) throw Error(arg() + " needs a value");
  return out;
}

void ArgReader::unknown() const {
  throw Error("unknown option '" + arg() + "' (yolopick " + command_ + " --help)");
}

}  // namespace yp::app
