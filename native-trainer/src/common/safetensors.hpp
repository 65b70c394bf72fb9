// Reading and writing the safetensors format (8-byte header length, JSON
// header, raw little-endian data): framework-neutral weights, so a model
// trained with one LibTorch version is exported by another. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace facegender {

struct NamedTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // F32 only: all weights and optimizer state are float
};

struct TensorFile {
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__"
};

// write_safetensors is atomic (temporary file + rename). Both throw
// std::runtime_error naming the file and the problem (truncated file, bad
// header, offsets outside the data, shape not matching the byte count).
void write_safetensors(const TensorFile& file, const std::string& path);
TensorFile read_safetensors(const std::string& path);

// The same on bytes in memory (`path` names them in errors), for callers that
// also hash the bytes, so a file is read or written once.
std::string encode_safetensors(const TensorFile& file, const std::string& path);
TensorFile decode_safetensors(const std::string& bytes, const std::string& path);

}  // namespace facegender
