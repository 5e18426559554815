// json.h: a small JSON reader and writer (RFC 8259) for the safetensors header and model metadata.
// The reader is strict and bounded: nesting depth, input size and value count are limited, objects
// keep their key order and duplicate keys are an error (safetensors requires unique names).
// Numbers keep their text so 64-bit integers (tensor offsets) are exact: as_int() parses the text.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"  // yp::Error, thrown on every bad input

namespace yp::io {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool b = false;
  std::string text;                                   // String: the decoded UTF-8; Number: its literal
  std::vector<Json> array;                            // Array
  std::vector<std::pair<std::string, Json>> object;   // Object, in file order

  bool is(Kind k) const { return kind == k; }
  const Json* find(const std::string& key) const;     // Object member or nullptr
  // Exact integer value of a Number without fraction or exponent; throws yp::Error otherwise.
  int64_t as_int() const;
  double as_double() const;                           // any Number

  static Json string(std::string s);
  static Json number(double v);                       // shortest text that reads back exactly
  static Json integer(int64_t v);
  static Json array_of(std::vector<Json> items);
};

struct JsonLimits {
  size_t max_bytes = size_t(100) << 20;
  int max_depth = 64;
  size_t max_values = size_t(1) << 22;
};

// Parses the whole text (trailing spaces allowed, nothing else). Errors name `label` and the byte.
Json parse_json(const char* text, size_t size, const std::string& label, const JsonLimits& limits = {});
// Compact JSON text (no spaces); strings are escaped, non-finite numbers are an error.
std::string write_json(const Json& value);

}  // namespace yp::io
