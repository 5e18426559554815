// formats_star.h: RELION coordinate STAR files (one per micrograph), the RELION 4 autopick.star index, and
// the small STAR table parser that the crYOLO .cbox reader shares.
//
// Per-micrograph file (RELION 3.1/4/5, written as RELION's autopicker does):
//   data_ / loop_ / _rlnCoordinateX _rlnCoordinateY _rlnClassNumber _rlnAutopickFigureOfMerit
// values are particle CENTRES in the micrograph's own MRC array pixels (x = column, y = row), no flip.
// _rlnClassNumber counts from 1 as RELION's own pickers write it: our class k (0-based, coords.h) is k + 1; a
// file's 0 or negative number (RELION's "not classified", e.g. -999) reads as class 0.
// STAR carries no box size: the reader fills w = h = box_size.
// Combined particles file (cryoSPARC "Import Particle Stack"/"Import Coordinates", RELION 3.0-style):
//   data_particles / loop_ / _rlnMicrographName _rlnCoordinateX _rlnCoordinateY _rlnClassNumber
//   _rlnAutopickFigureOfMerit, one row per pick of every micrograph.
// Index (RELION >= 4.0, Extract --coord_list): data_coordinate_files with _rlnMicrographName and
// _rlnMicrographCoordinates, both paths relative to the RELION project directory.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "picker/coords.h"

namespace yp::picker {

// One loop_ table of a STAR file. rows[i] has labels.size() tokens; lines[i] is its 1-based line number.
struct StarTable {
  std::string block;                 // name after "data_" (may be empty)
  std::vector<std::string> labels;   // "_rlnCoordinateX", ... (column-number comments dropped)
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  int column(const std::string& label) const;  // index or -1
};
// Every loop_ table in the file, in order. Throws yp::Error naming file:line for a row with the wrong
// number of columns or a loop without labels.
std::vector<StarTable> parse_star_tables(const std::string& text, const std::string& path);

void write_star_coordinates(const std::string& path, const MicrographPicks& mic);
MicrographPicks read_star_coordinates(const std::string& path, double box_size);

// Every micrograph's picks in one table, micrograph names as given (MicrographPicks::micrograph: a path relative to
// the project, no spaces), in order. The reader groups consecutive rows of one micrograph.
void write_star_particles(const std::string& path, const std::vector<MicrographPicks>& micrographs);
std::vector<MicrographPicks> read_star_particles(const std::string& path, double box_size);

// (micrograph path, coordinate file path) pairs; both must be relative (RELION and crYOLO require it).
using CoordinateIndex = std::vector<std::pair<std::string, std::string>>;
void write_autopick_index(const std::string& path, const CoordinateIndex& entries);
CoordinateIndex read_autopick_index(const std::string& path);

}  // namespace yp::picker
