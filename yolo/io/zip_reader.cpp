// zip_reader.cpp: the ZIP central-directory walk described in zip_reader.h.
// Record layouts (all little-endian), from PKWARE APPNOTE 6.3:
//   EOCD (22 + comment):      sig 0x06054b50, disk u16, cd_disk u16, n_disk u16, n u16,
//                             cd_size u32, cd_offset u32, comment_len u16
//   ZIP64 locator (20):       sig 0x07064b50, disk u32, eocd64_offset u64, disks u32
//   ZIP64 EOCD (56+):         sig 0x06064b50, size u64, ver u16 u16, disk u32 u32, n_disk u64,
//                             n u64, cd_size u64, cd_offset u64
//   central header (46 + ..): sig 0x02014b50, ver u16 u16, flags u16, method u16, time u16 u16,
//                             crc u32, csize u32, usize u32, name_len u16, extra_len u16,
//                             comment_len u16, disk u16, iattr u16, eattr u32, lho u32
//   local header (30 + ..):   sig 0x04034b50, ver u16, flags u16, method u16, time u16 u16,
//                             crc u32, csize u32, usize u32, name_len u16, extra_len u16
#include "yolo/io/zip_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "tensor/tensor.h"

namespace yp::io {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kLocator64Sig = 0x07064b50, kEocd64Sig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22, kCentralSize = 46, kLocalSize = 30;
constexpr size_t kMaxCommentSearch = 65535 + kEocdSize;

uint16_t rd16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
uint64_t rd64(const uint8_t* p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

// True when [offset, offset + len) lies inside [0, size) without overflow.
bool in_bounds(uint64_t offset, uint64_t len, uint64_t size) { return offset <= size && len <= size - offset; }

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

struct ZipReader::Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr) munmap(addr, size);
  }
};

ZipReader ZipReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  ZipReader z;
  z.label_ = path;
  z.mapping_ = std::make_shared<Mapping>();
  z.size_ = (size_t)st.st_size;
  if (z.size_ > 0) {
    void* addr = mmap(nullptr, z.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      ::close(fd);
      throw Error(path + ": cannot map the file (" + std::strerror(errno) + ")");
    }
    z.mapping_->addr = addr;
    z.mapping_->size = z.size_;
    z.bytes_ = static_cast<const uint8_t*>(addr);
  }
  ::close(fd);
  z.parse();
  return z;
}

ZipReader ZipReader::from_memory(const uint8_t* data, size_t size, const std::string& label) {
  ZipReader z;
  z.bytes_ = data;
  z.size_ = size;
  z.label_ = label;
  z.parse();
  return z;
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

const uint8_t* ZipReader::data(const ZipEntry& e, bool verify_crc) const {
  // Entries were bounds-checked in parse(); re-check so a ZipEntry from elsewhere cannot escape.
  if (!in_bounds(e.data_offset, e.size, size_))
    throw Error(label_ + ": entry '" + e.name + "' lies outside the file");
  const uint8_t* p = bytes_ + e.data_offset;
  if (verify_crc && crc32(p, (size_t)e.size) != e.crc32)
    throw Error(label_ + ": entry '" + e.name + "' fails its CRC-32 check (the file is corrupt)");
  return p;
}

void ZipReader::parse() {
  const std::string& f = label_;
  if (size_ < kEocdSize) throw Error(f + ": too small to be a zip file (" + std::to_string(size_) + " bytes)");

  // 1. The EOCD record: the last signature whose comment length reaches exactly the end of file.
  const size_t search_start = size_ > kMaxCommentSearch ? size_ - kMaxCommentSearch : 0;
  size_t eocd = SIZE_MAX;
  for (size_t pos = size_ - kEocdSize + 1; pos-- > search_start;) {
    if (rd32(bytes_ + pos) == kEocdSig && pos + kEocdSize + rd16(bytes_ + pos + 20) == size_) {
      eocd = pos;
      break;
    }
  }
  if (eocd == SIZE_MAX) {
    if (bytes_[0] == 0x80 && bytes_[1] <= 5)  // a bare pickle: torch.save before PyTorch 1.6
      throw Error(f + ": a legacy (pre-1.6, non-zip) PyTorch file; re-save it with torch.save in PyTorch >= 1.6");
    throw Error(f + ": no zip end-of-central-directory record (truncated or not a zip file)");
  }
  const uint8_t* e = bytes_ + eocd;
  if (rd16(e + 4) != 0 || rd16(e + 6) != 0) throw Error(f + ": multi-disk zip archives are not supported");
  uint64_t count = rd16(e + 10), cd_size = rd32(e + 12), cd_offset = rd32(e + 16);

  // 2. ZIP64: only consulted when a classic field is saturated.
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
    if (eocd < 20 || rd32(bytes_ + eocd - 20) != kLocator64Sig)
      throw Error(f + ": saturated end record but no ZIP64 locator");
    const uint64_t off64 = rd64(bytes_ + eocd - 20 + 8);
    if (!in_bounds(off64, 56, eocd - 20) || rd32(bytes_ + off64) != kEocd64Sig)
      throw Error(f + ": ZIP64 end record missing or out of bounds");
    const uint8_t* z = bytes_ + off64;
    count = rd64(z + 32);
    cd_size = rd64(z + 40);
    cd_offset = rd64(z + 48);
  }
  if (!in_bounds(cd_offset, cd_size, eocd))
    throw Error(f + ": central directory (offset " + std::to_string(cd_offset) + ", " + std::to_string(cd_size) +
                " bytes) lies outside the file");
  if (count > cd_size / kCentralSize)
    throw Error(f + ": central directory claims " + std::to_string(count) + " entries but has room for at most " +
                std::to_string(cd_size / kCentralSize));

  // 3. Central directory entries.
  entries_.reserve((size_t)count);
  std::unordered_set<std::string> seen;
  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (!in_bounds(pos, kCentralSize, cd_end) || rd32(bytes_ + pos) != kCentralSig)
      throw Error(f + ": central directory entry " + std::to_string(i) + " is malformed");
    const uint8_t* c = bytes_ + pos;
    const uint16_t flags = rd16(c + 8), method = rd16(c + 10);
    const uint32_t crc = rd32(c + 16);
    uint64_t csize = rd32(c + 20), usize = rd32(c + 24), lho = rd32(c + 42);
    const uint16_t name_len = rd16(c + 28), extra_len = rd16(c + 30), comment_len = rd16(c + 32);
    if (!in_bounds(pos + kCentralSize, (uint64_t)name_len + extra_len + comment_len, cd_end))
      throw Error(f + ": central directory entry " + std::to_string(i) + " runs past the directory");
    ZipEntry ent;
    ent.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    // ZIP64 extended information (id 0x0001): the saturated fields, in the order usize, csize, lho.
    const uint8_t* x = c + kCentralSize + name_len;
    for (size_t k = 0; k + 4 <= extra_len;) {
      const uint16_t id = rd16(x + k), len = rd16(x + k + 2);
      if (k + 4 + len > extra_len) throw Error(f + ": entry '" + ent.name + "' has a malformed extra field");
      if (id == 0x0001) {
        size_t q = k + 4;
        auto take = [&](uint64_t& v) {
          if (v != 0xFFFFFFFFu) return;
          if (q + 8 > k + 4 + len) throw Error(f + ": entry '" + ent.name + "' has a short ZIP64 extra field");
          v = rd64(x + q);
          q += 8;
        };
        take(usize);
        take(csize);
        take(lho);
      }
      k += 4 + len;
    }
    if (flags & 0x0001) throw Error(f + ": entry '" + ent.name + "' is encrypted");
    if (method != 0)
      throw Error(f + ": entry '" + ent.name + "' is compressed (method " + std::to_string(method) +
                  "); PyTorch checkpoints store entries uncompressed (method 0)");
    if (csize != usize) throw Error(f + ": stored entry '" + ent.name + "' has different compressed and plain sizes");
    if (!seen.insert(ent.name).second) throw Error(f + ": duplicate entry name '" + ent.name + "'");

    // The local header: its own name/extra lengths decide where the data starts.
    if (!in_bounds(lho, kLocalSize, cd_offset) || rd32(bytes_ + lho) != kLocalSig)
      throw Error(f + ": entry '" + ent.name + "' has no local header at offset " + std::to_string(lho));
    const uint8_t* l = bytes_ + lho;
    const uint64_t data_offset = lho + kLocalSize + rd16(l + 26) + rd16(l + 28);
    if (!in_bounds(data_offset, usize, cd_offset))
      throw Error(f + ": entry '" + ent.name + "' (" + std::to_string(usize) + " bytes at " +
                  std::to_string(data_offset) + ") runs past the data area (truncated file or lying size)");
    // Checked after the bound above, which also covers the local name bytes.
    if (rd16(l + 26) != name_len || std::memcmp(l + kLocalSize, c + kCentralSize, name_len) != 0)
      throw Error(f + ": entry '" + ent.name + "': local and central names differ");
    ent.size = usize;
    ent.data_offset = data_offset;
    ent.crc32 = crc;
    entries_.push_back(std::move(ent));
    pos += kCentralSize + name_len + extra_len + comment_len;
  }
}

}  // namespace yp::io
