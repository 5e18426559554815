// pick_inputs.h: which micrographs a pick run takes, and the share of one task of a cluster job array.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace yp::picker {

// Micrograph extensions taken from folders and globs: .mrc .mrcs .png .jpg .jpeg .tif .tiff.
bool is_micrograph_file(const std::string& path);

// One micrograph of a run: a file, or one section of an MRC stack. A run's list holds them as text: a plain path,
// or RELION's stack notation "K@PATH" with K 1-based (section K - 1 of PATH, 0-based as MRC counts), which is
// what every section of a stack becomes when no --section is given.
struct MicrographRef {
  std::string file;
  int section = -1;  // 0-based; -1: the file's only section (or the run's --section)
};
MicrographRef parse_micrograph_entry(const std::string& entry);
std::string section_entry(const std::string& file, int section);  // "K@PATH", K = section + 1
// The name its outputs take: the file's stem, "_K" added for a stack section ("stack@3" -> "stack_3").
std::string micrograph_stem(const std::string& entry);

struct InputOptions {
  int section = -1;         // --section K: every stack gives its section K; -1: each section is a micrograph
  bool permissive = false;  // read stack headers permissively (--permissive)
};

// Files, folders (their micrographs), globs ("data/*.mrc") and list files (.txt/.lst/.list: one path per line,
// '#' comments, relative paths relative to the list) -> sorted, duplicate-free entries; an MRC stack (NZ > 1)
// becomes one entry per section unless options.section chooses one. Throws yp::Error for a spec that names
// nothing, for a label or pick file given as a micrograph (.star .box .cbox .csv, or a list file whose lines are
// YOLO labels), and when two micrographs share a stem (their outputs would collide).
std::vector<std::string> expand_micrograph_inputs(const std::vector<std::string>& specs,
                                                  const InputOptions& options = {});

// The share of task `index` (0-based) of `count`: the paths whose sorted position k has k % count == index.
std::vector<std::string> shard_inputs(const std::vector<std::string>& sorted, int index, int count);
// Parses "i/n" with 0 <= i < n; throws yp::Error otherwise.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace yp::picker
