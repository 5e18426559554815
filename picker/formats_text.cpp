// formats_text.cpp: CSV and YOLO txt pick files (formats_text.h).
#include "picker/formats_text.h"

#include <sstream>

#include "util/error.h"
#include "util/text.h"

namespace yp::picker {

void write_picks_csv(const std::string& path, const MicrographPicks& mic) {
  std::string s = "x,y,w,h,class,confidence\n";
  for (const Pick& p : mic.picks)
    s += fmt(p.x, 3) + "," + fmt(p.y, 3) + "," + fmt(p.w, 3) + "," + fmt(p.h, 3) + "," + std::to_string(p.cls) + "," +
         fmt(p.confidence, 6) + "\n";
  write_text_file_atomic(path, s);
}

MicrographPicks read_picks_csv(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_no;
    if (!trim(line).empty()) header = split_char(trim(line), ',');
  }
  if (header.empty()) throw Error(path + ": empty CSV (expected a header such as x,y,w,h,class,confidence)");
  int cx = -1, cy = -1, cd = -1, cw = -1, ch = -1, cc = -1, cf = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string h = to_lower(header[i]);
    const int k = static_cast<int>(i);
    if (h == "x" || starts_with(h, "x-") || starts_with(h, "x_") || h == "xcoord" || h == "_rlncoordinatex") cx = k;
    else if (h == "y" || starts_with(h, "y-") || starts_with(h, "y_") || h == "ycoord" || h == "_rlncoordinatey") cy = k;
    else if (h.find("diam") != std::string::npos) cd = k;
    else if (h == "w" || h == "width") cw = k;
    else if (h == "h" || h == "height") ch = k;
    else if (h == "class" || h == "cls") cc = k;
    else if (h == "confidence") cf = k;
  }
  if (cx < 0 || cy < 0)
    fail_at(path, line_no,
            "CSV header needs x and y columns (e.g. 'x,y,w,h,class,confidence', 'x,y,diameter' or 'X-Coordinate,Y-Coordinate')");
  if ((cw < 0) != (ch < 0))
    fail_at(path, line_no, std::string("CSV header has '") + (cw < 0 ? "h' but no 'w'" : "w' but no 'h'") + " column");
  MicrographPicks mic;
  mic.micrograph = micrograph_key(path);
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> tok = split_char(trim(line), ',');
    if (tok.size() != header.size())
      fail_at(path, line_no, "expected " + std::to_string(header.size()) + " columns, found " + std::to_string(tok.size()));
    Pick p;
    p.x = parse_double(tok[cx], path, line_no, "x");
    p.y = parse_double(tok[cy], path, line_no, "y");
    if (cd >= 0) p.w = p.h = parse_double(tok[cd], path, line_no, "diameter");
    if (cw >= 0) p.w = parse_double(tok[cw], path, line_no, "w");
    if (ch >= 0) p.h = parse_double(tok[ch], path, line_no, "h");
    if (cc >= 0) p.cls = parse_int(tok[cc], path, line_no, "class");
    if (cf >= 0) p.confidence = parse_double(tok[cf], path, line_no, "confidence");
    mic.picks.push_back(p);
  }
  return mic;
}

void write_yolo_txt(const std::string& path, const MicrographPicks& mic, bool with_confidence) {
  if (mic.width <= 0 || mic.height <= 0) throw Error(path + ": YOLO txt needs the micrograph size");
  const double W = mic.width, H = mic.height;
  std::string s;
  for (const Pick& p : mic.picks) {
    const double row = mic.image_rows == ImageRows::FlippedY ? flip_row(p.y, mic.height) : p.y;
    s += std::to_string(p.cls) + " " + fmt((p.x + 0.5) / W, 6) + " " + fmt((row + 0.5) / H, 6) + " " + fmt(p.w / W, 6) +
         " " + fmt(p.h / H, 6);
    if (with_confidence) s += " " + fmt(p.confidence, 6);
    s += "\n";
  }
  write_text_file_atomic(path, s);
}

MicrographPicks read_yolo_txt(const std::string& path, int width, int height, ImageRows rows) {
  if (width <= 0 || height <= 0) throw Error(path + ": reading YOLO txt needs the image size (width and height > 0)");
  MicrographPicks mic;
  mic.micrograph = micrograph_key(path);
  mic.width = width;
  mic.height = height;
  mic.image_rows = rows;
  std::istringstream in(read_text_file(path));
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::vector<std::string> tok = split_whitespace(line);
    if (tok.empty()) continue;
    if (tok.size() != 5 && tok.size() != 6)
      fail_at(path, line_no, "expected 'class cx cy w h [confidence]', found " + std::to_string(tok.size()) + " columns");
    Pick p;
    p.cls = parse_int(tok[0], path, line_no, "class");
    if (p.cls < 0) fail_at(path, line_no, "negative class id");
    const double cx = parse_double(tok[1], path, line_no, "cx"), cy = parse_double(tok[2], path, line_no, "cy");
    const double w = parse_double(tok[3], path, line_no, "w"), h = parse_double(tok[4], path, line_no, "h");
    if (cx < 0 || cx > 1 || cy < 0 || cy > 1 || w < 0 || w > 1 || h < 0 || h > 1)
      fail_at(path, line_no, "normalised value outside [0, 1]");
    p.x = cx * width - 0.5;
    const double row = cy * height - 0.5;
    p.y = rows == ImageRows::FlippedY ? flip_row(row, height) : row;
    p.w = w * width;
    p.h = h * height;
    if (tok.size() == 6) p.confidence = parse_double(tok[5], path, line_no, "confidence");
    mic.picks.push_back(p);
  }
  return mic;
}

void write_marked_positions(const std::string& path, const std::vector<MarkedPosition>& positions) {
  std::string s;
  for (const MarkedPosition& m : positions) {
    if (m.note.find('\n') != std::string::npos) throw Error(path + ": a note may not span lines");
    s += fmt(m.x, 0) + " " + fmt(m.y, 0) + (m.note.empty() ? "" : " " + m.note) + "\n";
  }
  write_text_file_atomic(path, s);
}

std::vector<MarkedPosition> read_marked_positions(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::string line;
  int line_no = 0;
  std::vector<MarkedPosition> out;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty()) continue;
    const std::vector<std::string> tok = split_whitespace(t);
    if (tok.size() < 2) fail_at(path, line_no, "expected 'cx cy [note]', found " + std::to_string(tok.size()) + " column");
    MarkedPosition m;
    m.x = parse_double(tok[0], path, line_no, "cx");
    m.y = parse_double(tok[1], path, line_no, "cy");
    // The note is the rest of the line after the second number, spaces kept.
    const size_t after_x = t.find(tok[0]) + tok[0].size();
    const size_t after_y = t.find(tok[1], after_x) + tok[1].size();
    m.note = trim(t.substr(after_y));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace yp::picker
