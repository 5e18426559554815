// safetensors.h: our model file format (see docs/checkpoints.md, "safetensors").
//
// Layout (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of JSON header | raw tensor bytes
//   header = {"__metadata__": {"key": "string value", ...},
//             "<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...}
// Offsets are relative to the first byte after the header; the tensors tile the data area exactly
// (no holes, no overlap), each holding prod(shape) * itemsize bytes, row-major, little-endian.
// We write F32 or F16 and pad the header with spaces to a multiple of 8; we read F16, BF16 (as F32),
// F32 and F64. The tensors come back in data order, which is the order they were saved in.
// Loading checks everything (header size, JSON limits, names unique, dtype, shape, offsets,
// finite values) and throws yp::Error naming the file and the problem.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace yp::io {

// The metadata key of the SHA-256 (64 hex digits) of the data area - every byte after the header. Written when
// asked (our model files ask: yolo/model_file.h), verified by every load that finds it: one flipped bit in the
// weights is an error naming the file, not a model that quietly picks noise.
inline constexpr const char* kDataChecksumKey = "data_sha256";

struct SafetensorsFile {
  NamedTensors tensors;
  std::map<std::string, std::string> metadata;
  bool checksum_verified = false;  // the file carried kDataChecksumKey and its data matched
};

// Writes `path` atomically (a temporary file beside it, then rename). Float tensors of any dtype
// and device are converted to `store` (F32 or F16); F16 overflow (|x| > 65504) is an error.
// with_checksum adds kDataChecksumKey to the metadata.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata, DType store = DType::F32,
                      bool with_checksum = false);

SafetensorsFile load_safetensors(const std::string& path);
// The same from bytes in memory; `label` names the source in errors.
SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& label);

}  // namespace yp::io
