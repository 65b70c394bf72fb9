// One or more packed datasets as one training set: their faces side by side,
// each remembering which dataset it came from (for balance and reports).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dataset/packed_dataset.hpp"

namespace facegender {

struct TrainingData {
  dataset::PackedDataset data;  // all faces; provenance and crop of the first dataset
  std::vector<int> dataset_of;  // per record: index into `paths`
  std::vector<std::string> paths;
};

// The prepare option `name` recorded in the dataset's provenance; null when
// prepare did not record it (datasets made before the option existed).
nlohmann::json prepare_option(const dataset::PackedDataset& data, const char* name);

// Throws std::runtime_error naming the file when a dataset cannot be read,
// or when the datasets disagree on classes, face size, detector or crop (a
// model can only be trained on faces cut one way).
TrainingData load_training_data(const std::vector<std::string>& paths);

}  // namespace facegender
