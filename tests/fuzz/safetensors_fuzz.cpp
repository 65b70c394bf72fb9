// read_safetensors on any file (checkpoint weights, and what `facegender
// export` reads), written to a scratch file first ("HEADER\0DATA" inputs
// get their length from fuzz::framed). Contract: tensors or
// std::runtime_error; every tensor holds as many values as its shape says,
// and writing the file back and reading it again gives the same tensors.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/safetensors.hpp"
#include "fuzz_support.hpp"

using namespace facegender;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = (fuzz::scratch_dir() / "input.safetensors").string();
  static const std::string again = (fuzz::scratch_dir() / "again.safetensors").string();
  const std::vector<std::uint8_t> bytes = fuzz::framed(data, size, "", 8);
  fuzz::write_bytes(path, bytes.data(), bytes.size());
  TensorFile file;
  try {
    file = read_safetensors(path);
  } catch (const std::runtime_error& e) {
    fuzz::rejected(e);
    return 0;
  }
  fuzz::accepted("safetensors");
  for (const auto& [name, tensor] : file.tensors) {
    std::int64_t n = 1;
    for (const std::int64_t d : tensor.shape) n *= d;
    fuzz::check(n == static_cast<std::int64_t>(tensor.values.size()),
                "a tensor whose values do not fill its shape");
  }
  write_safetensors(file, again);
  const TensorFile reread = read_safetensors(again);
  fuzz::check(reread.metadata == file.metadata, "write + read changed the metadata");
  fuzz::check(reread.tensors.size() == file.tensors.size(), "write + read changed the tensors");
  for (const auto& [name, tensor] : file.tensors) {
    const auto it = reread.tensors.find(name);
    fuzz::check(it != reread.tensors.end() && it->second.shape == tensor.shape,
                "write + read changed a tensor's shape");
    // Bitwise (NaN payloads included); an empty vector's data() may be null.
    fuzz::check(
        it->second.values.size() == tensor.values.size() &&
            (tensor.values.empty() || std::memcmp(it->second.values.data(), tensor.values.data(),
                                                  tensor.values.size() * sizeof(float)) == 0),
        "write + read changed a tensor's values");
  }
  return 0;
}
