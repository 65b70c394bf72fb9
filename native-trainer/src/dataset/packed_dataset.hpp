// The packed dataset: every face of a training set as a 100x100 gray crop
// with its label, split and groups, in one file that loads in seconds.
// Written by `facegender prepare`, read by train / eval / inspect. Depends on
// nothing but the standard library and nlohmann-json, so the CUDA-only
// training build (no OpenCV) reads it too.
//
// File layout (little-endian):
//   8 bytes   magic "FGDS\0\0\0\1"
//   8 bytes   uint64 length L of the JSON header
//   L bytes   JSON header (UTF-8): {"format":"facegender-dataset/1","image_size":100,
//             "classes":[...],"records":[...],"provenance":{...},"report":{...}}
//   N*S*S     uint8 pixels, record i at offset i*S*S after the header
// The compressed form (".fgds.gz" ... see write_compressed) holds the same
// header and each face as a JPEG, for moving a dataset to another machine.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "facegender/dataset.hpp"

namespace facegender::dataset {

// The split and its rule are the core's (facegender/dataset.hpp), shared
// with the review page.
using facegender::Split;
using facegender::split_of_sha256;
using facegender::to_string;
Split split_from_string(const std::string& text);  // throws std::runtime_error

struct Record {
  int label = 0;  // index into classes
  Split split = Split::Train;
  bool eval_only = false;   // e.g. the seed's ambiguous/ images: never trained on
  std::optional<int> age;   // years, when the source has it
  std::optional<int> race;  // source's coding, when it has it
  std::string source;       // path of the original file, relative to the input root
  std::string sha256;       // of the original file bytes
  bool face_found = true;   // false: --no-face center kept a centre crop
};

struct PackedDataset {
  int image_size = 100;
  std::vector<std::string> classes;
  std::vector<Record> records;
  std::vector<std::uint8_t> pixels;  // records.size() * image_size^2
  nlohmann::json provenance;         // input, options, tool and core versions, date
  nlohmann::json report;             // kept / dropped per reason x split x class

  std::size_t size() const { return records.size(); }
  std::span<const std::uint8_t> face(std::size_t i) const;
  // Indices of the records in `split` (eval_only ones excluded when
  // `for_training`).
  std::vector<std::size_t> indices(Split split, bool for_training = false) const;
};

// The JSON header write() stores, and a dataset (its pixels left empty) from
// such a header: for other containers of the same data, such as the travel
// form (prepare/travel_pack.hpp). from_header_text validates like read().
std::string header_text(const PackedDataset& dataset);
PackedDataset from_header_text(const std::string& text, const std::string& path);

// Both throw std::runtime_error naming the file and the problem. write() is
// atomic (temporary file + rename).
void write(const PackedDataset& dataset, const std::string& path);
PackedDataset read(const std::string& path);

}  // namespace facegender::dataset
