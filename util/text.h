// text.h: the small text and file-name helpers every parser and command shares (pick-file formats, data.yaml,
// label files, the chain's "key = value" text, the YOLOv5 yaml subset, the command line).
//
// Errors are yp::Error; a parse error names the file and line: "FILE:LINE: bad x 'abc'".
#pragma once

#include <string>
#include <vector>

namespace yp {

// Drops leading and trailing whitespace (std::isspace: space, \t, \n, \v, \f, \r).
std::string trim(const std::string& s);
// Fields separated by `sep`, each trimmed; an empty line gives one empty field.
std::vector<std::string> split_char(const std::string& line, char sep);
// Fields separated by runs of whitespace.
std::vector<std::string> split_whitespace(const std::string& line);

std::string to_lower(std::string s);
bool starts_with(const std::string& s, const std::string& prefix);
bool ends_with(const std::string& s, const std::string& suffix);
// The extension of PATH's file name in lower case, with the dot (".png" for "a/B.PNG"; "" for none).
std::string lower_extension(const std::string& path);

// The whole file; a leading UTF-8 byte order mark is dropped. Every text parser reads through this.
std::string read_text_file(const std::string& path);
// write_file_atomic (util/atomic_file.h) of text: a crash never leaves a half-written file.
void write_text_file_atomic(const std::string& path, const std::string& content);

// Throws yp::Error "FILE:LINE: msg".
[[noreturn]] void fail_at(const std::string& file, int line, const std::string& msg);
// Parses a finite double (the whole token); otherwise throws "FILE:LINE: bad WHAT 'TOKEN'".
double parse_double(const std::string& token, const std::string& file, int line, const char* what);
// The same for a whole number (|v| <= 1e9).
int parse_int(const std::string& token, const std::string& file, int line, const char* what);

// "%.*f" without locale surprises: fmt(0.5, 3) = "0.500"; never a negative zero (fmt(-0.2, 0) = "0").
std::string fmt(double v, int decimals);

// The current time in UTC as ISO 8601, "2026-12-02T16:28:18Z" (run records, lock holders).
std::string utc_now_iso();

}  // namespace yp
