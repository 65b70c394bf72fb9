#include "common/safetensors.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "common/files.hpp"

namespace facegender {
namespace {

using nlohmann::json;

// -1 for a negative dimension or a product past int64 (a corrupt header).
std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t count = 1;
  for (const std::int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(count, d, &count)) return -1;
  }
  return count;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": not a usable safetensors file: " + what);
}

// JSON numbers as integers: a float such as 3e19 has no int64, and
// converting it would be undefined behaviour, so only integers pass.
std::vector<std::int64_t> integers(const json& list, const std::string& path,
                                   const std::string& what) {
  if (!list.is_array()) corrupt(path, what + " is not a list");
  std::vector<std::int64_t> values;
  for (const json& v : list) {
    if (!v.is_number_integer()) corrupt(path, what + " holds something that is not an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t{INT64_MAX})
      corrupt(path, what + " holds an integer out of range");
    values.push_back(v.get<std::int64_t>());
  }
  return values;
}

}  // namespace

std::string encode_safetensors(const TensorFile& file, const std::string& path) {
  json header = json::object();
  std::size_t offset = 0;
  for (const auto& [name, tensor] : file.tensors) {
    if (element_count(tensor.shape) != static_cast<std::int64_t>(tensor.values.size())) {
      throw std::runtime_error(path + ": tensor " + name +
                               " has a shape that does not match its values");
    }
    const std::size_t bytes = tensor.values.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string header_text = header.dump();
  // The format pads the header with spaces to an 8-byte boundary.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  std::string bytes(8 + header_text.size() + offset, '\0');
  const std::uint64_t header_size = header_text.size();
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<char>((header_size >> (8 * i)) & 0xFF);
  std::memcpy(bytes.data() + 8, header_text.data(), header_text.size());
  char* data = bytes.data() + 8 + header_text.size();
  for (const auto& [name, tensor] : file.tensors) {
    const std::size_t begin = header[name]["data_offsets"][0].get<std::size_t>();
    // Little-endian float32 in memory on every platform this builds for.
    if (!tensor.values.empty())  // an empty vector's data() may be null
      std::memcpy(data + begin, tensor.values.data(), tensor.values.size() * sizeof(float));
  }
  return bytes;
}

void write_safetensors(const TensorFile& file, const std::string& path) {
  write_file_atomically(path, encode_safetensors(file, path));
}

TensorFile read_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path), path);
}

TensorFile decode_safetensors(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 8) corrupt(path, "shorter than its 8-byte header length");
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i)
    header_size =
        (header_size << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  if (header_size > bytes.size() - 8)
    corrupt(path, "header length " + std::to_string(header_size) + " runs past the end");
  json header;
  try {
    header = json::parse(bytes.substr(8, header_size));
  } catch (const json::exception& e) {
    corrupt(path, std::string("header is not JSON: ") + e.what());
  }
  const std::size_t data_begin = 8 + header_size;
  const std::size_t data_size = bytes.size() - data_begin;
  TensorFile file;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        file.metadata = entry.get<std::map<std::string, std::string>>();
        continue;
      }
      if (entry.at("dtype").get<std::string>() != "F32")
        corrupt(path, "tensor " + name + " is not F32");
      NamedTensor tensor;
      tensor.shape = integers(entry.at("shape"), path, "tensor " + name + "'s shape");
      const std::vector<std::int64_t> offsets =
          integers(entry.at("data_offsets"), path, "tensor " + name + "'s data_offsets");
      if (offsets.size() != 2 || offsets[0] < 0 || offsets[1] < 0)
        corrupt(path, "tensor " + name + "'s data_offsets are not two offsets");
      const auto begin = static_cast<std::size_t>(offsets[0]);
      const auto end = static_cast<std::size_t>(offsets[1]);
      const std::int64_t count = element_count(tensor.shape);
      if (begin > end || end > data_size || count < 0 ||
          static_cast<std::uint64_t>(count) > (end - begin) / sizeof(float) ||
          static_cast<std::size_t>(count) * sizeof(float) != end - begin) {
        corrupt(path, "tensor " + name + " has offsets or a shape that do not fit the data");
      }
      tensor.values.resize(static_cast<std::size_t>(count));
      if (count > 0)  // a zero-element tensor's data() may be null
        std::memcpy(tensor.values.data(), bytes.data() + data_begin + begin, end - begin);
      file.tensors.emplace(name, std::move(tensor));
    }
  } catch (const json::exception& e) {
    corrupt(path, std::string("malformed header: ") + e.what());
  }
  return file;
}

}  // namespace facegender
