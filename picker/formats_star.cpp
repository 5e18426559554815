// formats_star.cpp: STAR table parsing and the RELION coordinate/index files (formats_star.h).
#include "picker/formats_star.h"

#include <algorithm>
#include <sstream>

#include "util/error.h"
#include "util/text.h"

namespace yp::picker {

int StarTable::column(const std::string& label) const {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == label) return static_cast<int>(i);
  return -1;
}

std::vector<StarTable> parse_star_tables(const std::string& text, const std::string& path) {
  std::vector<StarTable> tables;
  std::string block;
  bool in_loop = false, in_rows = false;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(raw);
    if (line.empty()) {
      if (in_rows) in_loop = in_rows = false;  // RELION ends a table with a blank line
      continue;
    }
    if (line[0] == '#') continue;
    if (line.rfind("data_", 0) == 0) {
      block = line.substr(5);
      in_loop = in_rows = false;
      continue;
    }
    if (line == "loop_") {
      tables.push_back(StarTable{block, {}, {}, {}});
      in_loop = true;
      in_rows = false;
      continue;
    }
    if (line[0] == '_') {
      if (in_loop && !in_rows) {
        tables.back().labels.push_back(split_whitespace(line)[0]);
        continue;
      }
      in_loop = in_rows = false;  // a "_key value" pair outside a loop: not a table
      continue;
    }
    if (!in_loop) fail_at(path, line_no, "data line outside a loop_ table");
    StarTable& t = tables.back();
    if (t.labels.empty()) fail_at(path, line_no, "loop_ without column labels");
    in_rows = true;
    std::vector<std::string> tok = split_whitespace(line);
    // A trailing "# comment" on a row is a comment, as on every other line.
    tok.erase(std::find_if(tok.begin(), tok.end(), [](const std::string& t) { return t[0] == '#'; }), tok.end());
    if (tok.size() != t.labels.size())
      fail_at(path, line_no, "expected " + std::to_string(t.labels.size()) + " columns, found " + std::to_string(tok.size()));
    t.rows.push_back(std::move(tok));
    t.lines.push_back(line_no);
  }
  return tables;
}

void write_star_coordinates(const std::string& path, const MicrographPicks& mic) {
  std::string s = "# version 30001\n\ndata_\n\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n"
                  "_rlnClassNumber #3\n_rlnAutopickFigureOfMerit #4\n";
  for (const Pick& p : mic.picks)
    s += fmt(p.x, 6) + " " + fmt(p.y, 6) + " " + std::to_string(p.cls + 1) + " " + fmt(p.confidence, 6) + "\n";
  s += "\n";
  write_text_file_atomic(path, s);
}

// RELION's class numbers count from 1; 0 and negative numbers (-999) mean "not classified": class 0 here.
static int class_from_star(const std::string& text, const std::string& path, int line) {
  const int k = parse_int(text, path, line, "_rlnClassNumber");
  return k >= 1 ? k - 1 : 0;
}

void write_star_particles(const std::string& path, const std::vector<MicrographPicks>& micrographs) {
  std::string s = "# version 30001\n\ndata_particles\n\nloop_\n_rlnMicrographName #1\n_rlnCoordinateX #2\n"
                  "_rlnCoordinateY #3\n_rlnClassNumber #4\n_rlnAutopickFigureOfMerit #5\n";
  for (const MicrographPicks& mic : micrographs) {
    if (mic.micrograph.empty() || mic.micrograph.find_first_of(" \t") != std::string::npos)
      throw Error(path + ": a STAR micrograph name cannot be empty or contain spaces: '" + mic.micrograph + "'");
    for (const Pick& p : mic.picks)
      s += mic.micrograph + " " + fmt(p.x, 6) + " " + fmt(p.y, 6) + " " + std::to_string(p.cls + 1) + " " +
           fmt(p.confidence, 6) + "\n";
  }
  s += "\n";
  write_text_file_atomic(path, s);
}

// Row i of a coordinate table as a pick of the given box size (cc, cf: the class and figure-of-merit columns, or -1).
static Pick star_pick(const StarTable& t, size_t i, int cx, int cy, int cc, int cf, double box_size,
                      const std::string& path) {
  const auto& r = t.rows[i];
  Pick p;
  p.x = parse_double(r[cx], path, t.lines[i], "_rlnCoordinateX");
  p.y = parse_double(r[cy], path, t.lines[i], "_rlnCoordinateY");
  p.w = p.h = box_size;
  if (cc >= 0) p.cls = class_from_star(r[cc], path, t.lines[i]);
  if (cf >= 0) p.confidence = parse_double(r[cf], path, t.lines[i], "_rlnAutopickFigureOfMerit");
  return p;
}

std::vector<MicrographPicks> read_star_particles(const std::string& path, double box_size) {
  for (const StarTable& t : parse_star_tables(read_text_file(path), path)) {
    const int cm = t.column("_rlnMicrographName"), cx = t.column("_rlnCoordinateX"), cy = t.column("_rlnCoordinateY");
    if (cm < 0 || cx < 0 || cy < 0) continue;
    const int cc = t.column("_rlnClassNumber"), cf = t.column("_rlnAutopickFigureOfMerit");
    std::vector<MicrographPicks> out;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const auto& r = t.rows[i];
      if (out.empty() || out.back().micrograph != r[cm]) {
        out.emplace_back();
        out.back().micrograph = r[cm];
      }
      out.back().picks.push_back(star_pick(t, i, cx, cy, cc, cf, box_size, path));
    }
    return out;
  }
  throw Error(path + ": no table with _rlnMicrographName, _rlnCoordinateX and _rlnCoordinateY");
}

MicrographPicks read_star_coordinates(const std::string& path, double box_size) {
  const std::vector<StarTable> tables = parse_star_tables(read_text_file(path), path);
  // One micrograph's coordinates are one table: two would be silently half read, so they are refused by name.
  std::string blocks;
  int with_coordinates = 0;
  for (const StarTable& t : tables)
    if (t.column("_rlnCoordinateX") >= 0 && t.column("_rlnCoordinateY") >= 0)
      ++with_coordinates, blocks += (blocks.empty() ? "data_" : ", data_") + t.block;
  if (with_coordinates > 1)
    throw Error(path + ": " + std::to_string(with_coordinates) + " tables hold coordinates (" + blocks +
                "); a coordinate file holds one micrograph's picks in one table");
  for (const StarTable& t : tables) {
    const int cx = t.column("_rlnCoordinateX"), cy = t.column("_rlnCoordinateY");
    if (cx < 0 || cy < 0) continue;
    const int cc = t.column("_rlnClassNumber"), cf = t.column("_rlnAutopickFigureOfMerit");
    MicrographPicks mic;
    mic.micrograph = micrograph_key(path);
    for (size_t i = 0; i < t.rows.size(); ++i) mic.picks.push_back(star_pick(t, i, cx, cy, cc, cf, box_size, path));
    return mic;
  }
  throw Error(path + ": no loop_ table with _rlnCoordinateX and _rlnCoordinateY");
}

static bool is_absolute(const std::string& p) { return !p.empty() && p[0] == '/'; }

void write_autopick_index(const std::string& path, const CoordinateIndex& entries) {
  std::string s = "# version 30001\n\ndata_coordinate_files\n\nloop_\n_rlnMicrographName #1\n_rlnMicrographCoordinates #2\n";
  for (const auto& [mic, coords] : entries) {
    if (is_absolute(mic) || is_absolute(coords))
      throw Error(path + ": index paths must be relative to the RELION project directory: " + mic + " " + coords);
    for (const std::string* p : {&mic, &coords})
      if (p->find_first_of(" \t") != std::string::npos)
        throw Error(path + ": STAR paths cannot contain spaces: '" + *p + "'");
    s += mic + " " + coords + "\n";
  }
  s += "\n";
  write_text_file_atomic(path, s);
}

CoordinateIndex read_autopick_index(const std::string& path) {
  for (const StarTable& t : parse_star_tables(read_text_file(path), path)) {
    const int cm = t.column("_rlnMicrographName"), cc = t.column("_rlnMicrographCoordinates");
    if (cm < 0 || cc < 0) continue;
    CoordinateIndex out;
    for (const auto& r : t.rows) out.emplace_back(r[cm], r[cc]);
    return out;
  }
  throw Error(path + ": no table with _rlnMicrographName and _rlnMicrographCoordinates");
}

}  // namespace yp::picker
