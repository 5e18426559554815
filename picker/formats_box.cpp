// formats_box.cpp: EMAN .box and crYOLO .cbox readers and writers (formats_box.h).
#include "picker/formats_box.h"

#include <cmath>
#include <sstream>

#include "picker/formats_star.h"
#include "util/error.h"
#include "util/text.h"

namespace yp::picker {

void write_eman_box(const std::string& path, const MicrographPicks& mic, bool integer_corners) {
  std::string s;
  for (const Pick& p : mic.picks) {
    const double x0 = p.x - p.w / 2, y0 = p.y - p.h / 2;
    if (integer_corners)
      s += fmt(std::round(x0), 0) + "\t" + fmt(std::round(y0), 0) + "\t" + fmt(std::round(p.w), 0) + "\t" + fmt(std::round(p.h), 0) + "\n";
    else
      s += fmt(x0, 2) + "\t" + fmt(y0, 2) + "\t" + fmt(p.w, 2) + "\t" + fmt(p.h, 2) + "\n";
  }
  write_text_file_atomic(path, s);
}

MicrographPicks read_eman_box(const std::string& path) {
  MicrographPicks mic;
  mic.micrograph = micrograph_key(path);
  std::istringstream in(read_text_file(path));
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;  // helicon headers start with '#'
    const std::vector<std::string> tok = split_whitespace(t);
    if (tok.size() < 4) fail_at(path, line_no, "expected 'x y w h', found " + std::to_string(tok.size()) + " columns");
    Pick p;
    p.w = parse_double(tok[2], path, line_no, "box width");
    p.h = parse_double(tok[3], path, line_no, "box height");
    if (p.w <= 0 || p.h <= 0) fail_at(path, line_no, "box size must be positive");
    p.x = parse_double(tok[0], path, line_no, "corner x") + p.w / 2;
    p.y = parse_double(tok[1], path, line_no, "corner y") + p.h / 2;
    mic.picks.push_back(p);
  }
  return mic;
}

void write_cbox(const std::string& path, const MicrographPicks& mic) {
  std::string s =
      "\ndata_global\n\n_cbox_format_version 1.0\n\ndata_cryolo\n\nloop_\n"
      "_CoordinateX #1\n_CoordinateY #2\n_CoordinateZ #3\n_Width #4\n_Height #5\n_Depth #6\n"
      "_EstWidth #7\n_EstHeight #8\n_Confidence #9\n_NumBoxes #10\n_Angle #11\n_yolopickClass #12\n";
  for (const Pick& p : mic.picks)
    s += fmt(p.x - p.w / 2, 3) + " " + fmt(p.y - p.h / 2, 3) + " <NA> " + fmt(p.w, 3) + " " + fmt(p.h, 3) +
         " <NA> " + fmt(p.w, 3) + " " + fmt(p.h, 3) + " " + fmt(p.confidence, 6) + " <NA> <NA> " +
         std::to_string(p.cls) + "\n";
  s += "\n";
  write_text_file_atomic(path, s);
}

// crYOLO < 1.8: "x y w h confidence est_w est_h", tab-separated, no header.
static MicrographPicks read_legacy_cbox(const std::string& path, const std::string& text) {
  MicrographPicks mic;
  mic.micrograph = micrograph_key(path);
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::vector<std::string> tok = split_whitespace(line);
    if (tok.empty()) continue;
    if (tok.size() < 5) fail_at(path, line_no, "legacy cbox line needs 'x y w h confidence', found " + std::to_string(tok.size()) + " columns");
    Pick p;
    p.w = parse_double(tok[2], path, line_no, "width");
    p.h = parse_double(tok[3], path, line_no, "height");
    p.x = parse_double(tok[0], path, line_no, "corner x") + p.w / 2;
    p.y = parse_double(tok[1], path, line_no, "corner y") + p.h / 2;
    p.confidence = parse_double(tok[4], path, line_no, "confidence");
    mic.picks.push_back(p);
  }
  return mic;
}

MicrographPicks read_cbox(const std::string& path) {
  const std::string text = read_text_file(path);
  if (text.find("data_") == std::string::npos) return read_legacy_cbox(path, text);
  for (const StarTable& t : parse_star_tables(text, path)) {
    const int cx = t.column("_CoordinateX"), cy = t.column("_CoordinateY");
    const int cw = t.column("_Width"), ch = t.column("_Height"), cf = t.column("_Confidence");
    if (cx < 0 || cy < 0) continue;
    if (cw < 0 || ch < 0) throw Error(path + ": cbox table has no _Width/_Height columns");
    const int cc = t.column("_yolopickClass");
    MicrographPicks mic;
    mic.micrograph = micrograph_key(path);
    for (size_t i = 0; i < t.rows.size(); ++i) {
      const auto& r = t.rows[i];
      const int ln = t.lines[i];
      Pick p;
      p.w = parse_double(r[cw], path, ln, "_Width");
      p.h = parse_double(r[ch], path, ln, "_Height");
      p.x = parse_double(r[cx], path, ln, "_CoordinateX") + p.w / 2;
      p.y = parse_double(r[cy], path, ln, "_CoordinateY") + p.h / 2;
      if (cf >= 0) p.confidence = parse_double(r[cf], path, ln, "_Confidence");
      if (cc >= 0) p.cls = parse_int(r[cc], path, ln, "_yolopickClass");
      mic.picks.push_back(p);
    }
    return mic;
  }
  throw Error(path + ": no cbox table with _CoordinateX and _CoordinateY");
}

}  // namespace yp::picker
