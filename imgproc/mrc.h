// mrc.h: MRC2014 micrograph reader and writer (spec: ../shared/picking-facts.md section 3.1).
// Reads modes 0 (int8), 1 (int16), 2 (float32), 6 (uint16) and 12 (float16), either byte order (the
// machine stamp at byte 212 says which), skips the extended header (NSYMBT bytes), and returns one
// section as an Image in file units (no scaling). Row 0 of the Image is MRC y = 0, the first row stored
// after the header; nothing is flipped.
// Every header value is checked against the file size before any allocation, so a truncated file, an
// absurd NX (2^31) or a negative NSYMBT ends in one Error line naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imgproc/image.h"

namespace yp::imgproc {

struct MrcReadOptions {
  int section = -1;         // which section of a stack (NZ > 1) to read; -1 refuses stacks
  bool permissive = false;  // tolerate the common spec violations (see MrcInfo::warnings)
};

struct MrcInfo {
  int nx = 0, ny = 0, nz = 0;
  int mode = 0;
  int nsymbt = 0;            // extended-header bytes
  bool big_endian = false;
  double pixel_size = 0;     // Angstrom per pixel along x = CELLA.x / MX; 0 when unknown (MX = 0 or CELLA = 0)
  std::vector<std::string> warnings;  // violations tolerated in permissive mode, and harmless oddities
};

struct MrcImage {
  Image image;
  MrcInfo info;
};

// Reads one section of PATH. Throws yp::Error("PATH: problem") on anything it cannot read faithfully.
MrcImage read_mrc(const std::string& path, const MrcReadOptions& options = {});

// The header of PATH alone, validated against the file size (sizes, mode, pixel size, warnings).
MrcInfo read_mrc_info(const std::string& path, const MrcReadOptions& options = {});

// The same from bytes in memory (the whole file); `name` is used in messages. The fuzz target's entry.
MrcImage parse_mrc(const uint8_t* bytes, size_t size, const std::string& name, const MrcReadOptions& options = {});

// Writes a single-section micrograph in mode 2 (float32) or 12 (float16), little-endian, with
// MX = NX, CELLA = N * pixel_size (pixel_size 0 writes CELLA = 0: unknown) and real DMIN/DMAX/DMEAN/RMS.
// Written to PATH.tmp and renamed, so a failed write never leaves a half file under PATH.
void write_mrc(const std::string& path, const Image& image, double pixel_size = 0, int mode = 2);

// True when the 1024-byte header looks like MRC ("MAP" at byte 208), for format sniffing.
bool looks_like_mrc(const uint8_t* header, size_t size);

}  // namespace yp::imgproc
