// pick_inputs.h: which micrographs a pick run takes, and the share of one task of a cluster job array.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace yp::picker {

// Micrograph extensions taken from folders and globs (.tif is taken so that it is reported, see image_io.h).
bool is_micrograph_file(const std::string& path);

// Files, folders (their micrographs), globs ("data/*.mrc") and list files (.txt/.lst/.list: one path per line,
// '#' comments, relative paths relative to the list) -> sorted, duplicate-free paths. Throws yp::Error for a
// spec that names nothing, and when two micrographs share a file stem (their outputs would collide).
std::vector<std::string> expand_micrograph_inputs(const std::vector<std::string>& specs);

// The share of task `index` (0-based) of `count`: the paths whose sorted position k has k % count == index.
std::vector<std::string> shard_inputs(const std::vector<std::string>& sorted, int index, int count);
// Parses "i/n" with 0 <= i < n; throws yp::Error otherwise.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace yp::picker
