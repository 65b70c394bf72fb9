#include "dataset/packed_dataset.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "common/files.hpp"

namespace facegender::dataset {
namespace {

constexpr std::array<char, 8> kMagic = {'F', 'G', 'D', 'S', '\0', '\0', '\0', '\1'};
constexpr const char* kFormat = "facegender-dataset/1";
constexpr std::size_t kPrefixBytes = kMagic.size() + sizeof(std::uint64_t);

std::runtime_error file_error(const std::string& path, const std::string& problem) {
  return std::runtime_error(path + ": " + problem);
}

std::size_t face_bytes(int image_size) {
  return static_cast<std::size_t>(image_size) * static_cast<std::size_t>(image_size);
}

// The format is little-endian whatever the host is.
void append_u64_le(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

std::uint64_t read_u64_le(const char* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

// nlohmann-json's get<int>() converts a JSON float with static_cast, which
// is undefined behaviour beyond int's range (an image_size of 1e10): only
// integers, or floats with an integral value, that fit an int.
int json_int(const nlohmann::json& j) {
  const bool integral = j.is_number_integer() ||
                        (j.is_number_float() && std::trunc(j.get<double>()) == j.get<double>());
  const double value = integral ? j.get<double>() : 0.0;
  if (!integral ||
      !(value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max())) {
    throw nlohmann::json::type_error::create(302, "expected an int, got " + j.dump(), &j);
  }
  return j.is_number_float() ? static_cast<int>(value) : static_cast<int>(j.get<std::int64_t>());
}

// Labels index `classes`; -1 marks an eval-only image with no class (an
// ambiguous one), which is never trained on.
void check_label(const Record& record, std::size_t class_count, const std::string& where) {
  const bool unlabelled_eval = record.label == -1 && record.eval_only;
  if (!unlabelled_eval &&
      (record.label < 0 || static_cast<std::size_t>(record.label) >= class_count)) {
    throw std::runtime_error(
        where + ": label " + std::to_string(record.label) + " is outside 0.." +
        std::to_string(static_cast<long long>(class_count) - 1) +
        (record.label == -1 ? " (-1 is allowed only for eval_only records)" : ""));
  }
}

nlohmann::json record_to_json(const Record& record) {
  nlohmann::json j = {{"label", record.label},         {"split", to_string(record.split)},
                      {"eval_only", record.eval_only}, {"source", record.source},
                      {"sha256", record.sha256},       {"face_found", record.face_found}};
  if (record.age) j["age"] = *record.age;
  if (record.race) j["race"] = *record.race;
  return j;
}

Record record_from_json(const nlohmann::json& j) {
  Record record;
  record.label = json_int(j.at("label"));
  record.split = split_from_string(j.at("split").get<std::string>());
  record.eval_only = j.value("eval_only", false);
  record.source = j.at("source").get<std::string>();
  record.sha256 = j.at("sha256").get<std::string>();
  record.face_found = j.value("face_found", true);
  if (j.contains("age") && !j.at("age").is_null()) record.age = json_int(j.at("age"));
  if (j.contains("race") && !j.at("race").is_null()) record.race = json_int(j.at("race"));
  return record;
}

std::string header_json(const PackedDataset& dataset) {
  nlohmann::json records = nlohmann::json::array();
  for (const Record& record : dataset.records) records.push_back(record_to_json(record));
  const nlohmann::json header = {{"format", kFormat},
                                 {"image_size", dataset.image_size},
                                 {"classes", dataset.classes},
                                 {"records", std::move(records)},
                                 {"provenance", dataset.provenance},
                                 {"report", dataset.report}};
  // File names are bytes on Linux; a name that is not valid UTF-8 is stored
  // with U+FFFD in place of the bad bytes rather than failing the whole run.
  return header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void validate_for_write(const PackedDataset& dataset, const std::string& path) {
  if (dataset.image_size <= 0) {
    throw file_error(path, "image_size " + std::to_string(dataset.image_size) + " is not positive");
  }
  const std::size_t expected = dataset.records.size() * face_bytes(dataset.image_size);
  if (dataset.pixels.size() != expected) {
    throw file_error(path, "pixel buffer holds " + std::to_string(dataset.pixels.size()) +
                               " bytes, expected " + std::to_string(expected) + " for " +
                               std::to_string(dataset.records.size()) + " records");
  }
  for (std::size_t i = 0; i < dataset.records.size(); ++i) {
    check_label(dataset.records[i], dataset.classes.size(),
                path + ": record " + std::to_string(i) + " (" + dataset.records[i].source + ")");
  }
}

// Reads exactly `size` bytes or explains what was missing.
void read_exact(std::ifstream& in, char* out, std::size_t size, const std::string& path,
                const std::string& what) {
  in.read(out, static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size) {
    throw file_error(path, "truncated: " + what + " needs " + std::to_string(size) +
                               " bytes, only " + std::to_string(in.gcount()) + " present");
  }
}

nlohmann::json parse_header(const std::string& text, const std::string& path) {
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw file_error(path, "header is not a JSON object");
  // Not value("format", ...): a format that is not a string would throw
  // nlohmann's type_error, not the runtime_error read() promises.
  const auto found = header.find("format");
  const std::string format = found == header.end() ? std::string()
                             : found->is_string()  ? found->get<std::string>()
                                                   : found->dump();
  if (format != kFormat) {
    throw file_error(path, "header format is '" + format + "', expected '" + kFormat + "'");
  }
  return header;
}

PackedDataset dataset_from_header(const nlohmann::json& header, const std::string& path) {
  PackedDataset dataset;
  try {
    dataset.image_size = json_int(header.at("image_size"));
    dataset.classes = header.at("classes").get<std::vector<std::string>>();
    const nlohmann::json& records = header.at("records");
    if (!records.is_array()) throw file_error(path, "header 'records' is not an array");
    dataset.records.reserve(records.size());
    for (const nlohmann::json& j : records) dataset.records.push_back(record_from_json(j));
    dataset.provenance = header.value("provenance", nlohmann::json::object());
    dataset.report = header.value("report", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("header field missing or of the wrong type: ") + e.what());
  } catch (const std::runtime_error& e) {
    throw file_error(path, std::string("bad record in header: ") + e.what());
  }
  if (dataset.image_size <= 0 || dataset.image_size > 4096) {
    throw file_error(path,
                     "image_size " + std::to_string(dataset.image_size) + " is outside 1..4096");
  }
  for (std::size_t i = 0; i < dataset.records.size(); ++i) {
    check_label(dataset.records[i], dataset.classes.size(),
                path + ": record " + std::to_string(i) + " (" + dataset.records[i].source + ")");
  }
  return dataset;
}

std::uintmax_t file_size_or_throw(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw file_error(path, "cannot read: " + error.message());
  return size;
}

}  // namespace

Split split_from_string(const std::string& text) {
  try {
    return facegender::parse_split(text);
  } catch (const InputError& e) {
    throw std::runtime_error(e.what());
  }
}

std::span<const std::uint8_t> PackedDataset::face(std::size_t i) const {
  if (i >= records.size()) {
    throw std::out_of_range("PackedDataset::face: index " + std::to_string(i) + " >= size " +
                            std::to_string(records.size()));
  }
  const std::size_t bytes = face_bytes(image_size);
  return std::span<const std::uint8_t>(pixels).subspan(i * bytes, bytes);
}

std::vector<std::size_t> PackedDataset::indices(Split split, bool for_training) const {
  std::vector<std::size_t> result;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& record = records[i];
    if (record.split != split) continue;
    if (for_training && record.eval_only) continue;
    result.push_back(i);
  }
  return result;
}

void write(const PackedDataset& dataset, const std::string& path) {
  validate_for_write(dataset, path);
  std::string header;
  try {
    header = header_json(dataset);
  } catch (const nlohmann::json::exception& e) {
    throw file_error(path, std::string("cannot encode the header: ") + e.what());
  }
  std::string bytes;
  bytes.reserve(kPrefixBytes + header.size() + dataset.pixels.size());
  bytes.append(kMagic.data(), kMagic.size());
  append_u64_le(bytes, header.size());
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(dataset.pixels.data()), dataset.pixels.size());
  write_file_atomically(path, bytes);
}

std::string header_text(const PackedDataset& dataset) {
  return header_json(dataset);
}

PackedDataset from_header_text(const std::string& text, const std::string& path) {
  return dataset_from_header(parse_header(text, path), path);
}

PackedDataset read(const std::string& path) {
  const std::uintmax_t file_size = file_size_or_throw(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, "cannot open");

  std::array<char, kPrefixBytes> prefix{};
  read_exact(in, prefix.data(), prefix.size(), path, "the magic and header length");
  if (std::memcmp(prefix.data(), kMagic.data(), kMagic.size()) != 0) {
    throw file_error(path, "not a facegender dataset (bad magic; expected FGDS version 1)");
  }
  const std::uint64_t header_length = read_u64_le(prefix.data() + kMagic.size());
  if (header_length > file_size - kPrefixBytes) {
    throw file_error(path, "truncated: header length " + std::to_string(header_length) +
                               " exceeds the " + std::to_string(file_size - kPrefixBytes) +
                               " bytes after the prefix");
  }
  std::string header(static_cast<std::size_t>(header_length), '\0');
  read_exact(in, header.data(), header.size(), path, "the JSON header");
  PackedDataset dataset = from_header_text(header, path);

  const std::uintmax_t pixel_bytes = file_size - kPrefixBytes - header_length;
  const std::size_t expected = dataset.records.size() * face_bytes(dataset.image_size);
  if (pixel_bytes != expected) {
    throw file_error(path, "holds " + std::to_string(pixel_bytes) + " pixel bytes, expected " +
                               std::to_string(expected) + " (" +
                               std::to_string(dataset.records.size()) + " records of " +
                               std::to_string(dataset.image_size) + "x" +
                               std::to_string(dataset.image_size) + ")" +
                               (pixel_bytes < expected ? ": the file is truncated" : ""));
  }
  dataset.pixels.resize(expected);
  read_exact(in, reinterpret_cast<char*>(dataset.pixels.data()), expected, path, "the pixels");
  return dataset;
}

}  // namespace facegender::dataset
