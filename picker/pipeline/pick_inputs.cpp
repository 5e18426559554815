// pick_inputs.cpp: which micrographs a pick run takes - files, folders, globs, list files - and each job-array
// task's share of them (pick_inputs.h).
#include "picker/pipeline/pick_inputs.h"

#include <glob.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "imgproc/mrc.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::picker {

namespace fs = std::filesystem;

namespace {

bool is_list_file(const std::string& path) {
  const std::string e = lower_extension(path);
  return e == ".txt" || e == ".lst" || e == ".list";
}

// A line of numbers only ("0 0.51 0.32 0.05 0.05"): a YOLO label, not a micrograph path.
bool looks_like_label_line(const std::string& line) {
  const std::vector<std::string> fields = split_whitespace(line);
  if (fields.size() < 2) return false;
  for (const std::string& f : fields) {
    char* end = nullptr;
    std::strtod(f.c_str(), &end);
    if (end == f.c_str() || *end) return false;
  }
  return true;
}

void add_list_file(const std::string& list, std::vector<std::string>& out) {
  std::ifstream f(list);
  if (!f) throw Error(list + ": cannot open the list file");
  const fs::path base = fs::path(list).parent_path();
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (looks_like_label_line(line))
      throw Error(list + ": holds YOLO labels (\"" + line + "\"), not micrograph paths; --input takes micrographs, "
                  "folders, globs or a list file of micrograph paths (labels go to yolopick train or evaluate)");
    fs::path p(line);
    out.push_back((p.is_absolute() ? p : base / p).lexically_normal().string());
    ++n;
  }
  if (n == 0) throw Error(list + ": the list file names no micrographs");
}

// Pick and label files users hand over by mistake; each gets its own message instead of "cannot decode".
void refuse_label_file(const std::string& path) {
  const std::string e = lower_extension(path);
  if (e == ".star" || e == ".box" || e == ".cbox" || e == ".csv" || e == ".json" || e == ".yaml")
    throw Error(path + ": a " + e.substr(1) + " file is not a micrograph; --input takes micrographs (" +
                "MRC, TIFF, PNG, JPEG), folders, globs or a list file (.txt) of micrograph paths");
}

// An MRC file with NZ > 1 -> one entry per section, or the chosen section's file.
void add_file(const std::string& path, const InputOptions& options, std::vector<std::string>& out) {
  const std::string e = lower_extension(path);
  if (options.section < 0 && (e == ".mrc" || e == ".mrcs")) {
    imgproc::MrcReadOptions read;
    read.section = 0;
    read.permissive = options.permissive;
    int nz = 1;
    try {
      nz = imgproc::read_mrc_info(path, read).nz;
    } catch (const Error&) {
      // unreadable: reported when the micrograph is read, with the others done
    }
    if (nz > 1) {
      for (int k = 0; k < nz; ++k) out.push_back(section_entry(path, k));
      return;
    }
  }
  out.push_back(path);
}

}  // namespace

MicrographRef parse_micrograph_entry(const std::string& entry) {
  const size_t at = entry.find('@');
  if (at == std::string::npos || at == 0 || entry.find_first_not_of("0123456789") != at) return {entry, -1};
  const long k = std::strtol(entry.substr(0, at).c_str(), nullptr, 10);
  if (k < 1 || k > 1000000) return {entry, -1};
  return {entry.substr(at + 1), (int)k - 1};
}

std::string section_entry(const std::string& file, int section) { return std::to_string(section + 1) + "@" + file; }

std::string micrograph_stem(const std::string& entry) {
  const MicrographRef r = parse_micrograph_entry(entry);
  const std::string stem = fs::path(r.file).stem().string();
  return r.section < 0 ? stem : stem + "_" + std::to_string(r.section + 1);
}

bool is_micrograph_file(const std::string& path) {
  static const std::set<std::string> exts{".mrc", ".mrcs", ".png", ".jpg", ".jpeg", ".tif", ".tiff"};
  return exts.count(lower_extension(path)) > 0;
}

std::vector<std::string> expand_micrograph_inputs(const std::vector<std::string>& specs,
                                                  const InputOptions& options) {
  std::vector<std::string> files;
  for (const std::string& s : specs) {
    if (s.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      const int rc = ::glob(s.c_str(), 0, nullptr, &g);
      size_t n = 0;
      for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i)
        if (is_micrograph_file(g.gl_pathv[i])) files.push_back(g.gl_pathv[i]), ++n;
      globfree(&g);
      if (n == 0) throw Error(s + ": the pattern matches no micrographs (.mrc .mrcs .png .jpg .jpeg .tif .tiff)");
    } else if (fs::is_directory(s)) {
      size_t n = 0;
      for (const auto& e : fs::directory_iterator(s)) {
        // A symlink loop or a dangling link is a micrograph that cannot be read: kept, so that the run names it
        // among its failures (instead of aborting on ELOOP, or skipping it without a word).
        std::error_code ec;
        const bool regular = e.is_regular_file(ec), broken_link = ec || (e.is_symlink(ec) && !fs::exists(e.path(), ec));
        if ((regular || broken_link) && is_micrograph_file(e.path().string())) files.push_back(e.path().string()), ++n;
      }
      if (n == 0) throw Error(s + ": no micrographs (.mrc .mrcs .png .jpg .jpeg .tif .tiff) in this folder");
    } else if (fs::exists(s) && is_list_file(s)) {
      add_list_file(s, files);
    } else if (fs::exists(s)) {
      refuse_label_file(s);
      files.push_back(s);  // a single file: read errors are reported per micrograph
    } else {
      throw Error(s + ": no such file, folder or matching pattern");
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::vector<std::string> out;
  for (const std::string& f : files) add_file(f, options, out);
  std::sort(out.begin(), out.end());
  std::map<std::string, std::string> by_stem;
  for (const std::string& p : out) {
    const std::string stem = micrograph_stem(p);
    auto [it, fresh] = by_stem.emplace(stem, p);
    if (!fresh) throw Error(p + " and " + it->second + " share the name '" + stem + "'; their outputs would collide");
  }
  return out;
}

std::vector<std::string> shard_inputs(const std::vector<std::string>& sorted, int index, int count) {
  YP_CHECK(count >= 1 && index >= 0 && index < count, "shard " + std::to_string(index) + "/" + std::to_string(count));
  std::vector<std::string> mine;
  for (size_t k = 0; k < sorted.size(); ++k)
    if ((int)(k % count) == index) mine.push_back(sorted[k]);
  return mine;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  char* end1 = nullptr;
  char* end2 = nullptr;
  const std::string a = text.substr(0, slash), b = slash == std::string::npos ? "" : text.substr(slash + 1);
  const long i = std::strtol(a.c_str(), &end1, 10), n = std::strtol(b.c_str(), &end2, 10);
  if (a.empty() || b.empty() || *end1 || *end2 || n < 1 || n > 1000000 || i < 0 || i >= n)
    throw Error("--shard '" + text + "': expected i/n with 0 <= i < n (e.g. --shard $SLURM_ARRAY_TASK_ID/8)");
  return {(int)i, (int)n};
}

}  // namespace yp::picker
