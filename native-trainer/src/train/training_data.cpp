#include "train/training_data.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace facegender {
namespace {

using nlohmann::json;

void require_same_faces(const dataset::PackedDataset& first, const std::string& first_path,
                        const dataset::PackedDataset& other, const std::string& other_path) {
  auto differ = [&](const std::string& what, const json& a, const json& b) {
    throw std::runtime_error(other_path + ": its " + what + " " + b.dump() + " differ from " +
                             first_path + "'s " + a.dump() +
                             "; prepare both with the same settings to train on them together");
  };
  if (other.classes != first.classes) differ("classes", first.classes, other.classes);
  if (other.image_size != first.image_size) differ("face size", first.image_size, other.image_size);
  for (const char* option : {"detector", "model_crop", "margin"}) {
    const json a = prepare_option(first, option);
    const json b = prepare_option(other, option);
    if (a != b) differ(std::string("prepare option ") + option, a, b);
  }
}

}  // namespace

json prepare_option(const dataset::PackedDataset& data, const char* name) {
  const json::json_pointer pointer(std::string("/options/") + name);
  return data.provenance.contains(pointer) ? data.provenance[pointer] : json();
}

TrainingData load_training_data(const std::vector<std::string>& paths) {
  if (paths.empty()) throw std::runtime_error("train: no dataset given");
  TrainingData out;
  out.paths = paths;
  for (std::size_t k = 0; k < paths.size(); ++k) {
    dataset::PackedDataset data = dataset::read(paths[k]);
    if (k == 0) {
      out.dataset_of.assign(data.size(), 0);
      out.data = std::move(data);
      continue;
    }
    require_same_faces(out.data, paths[0], data, paths[k]);
    out.dataset_of.insert(out.dataset_of.end(), data.size(), static_cast<int>(k));
    out.data.records.insert(out.data.records.end(), data.records.begin(), data.records.end());
    out.data.pixels.insert(out.data.pixels.end(), data.pixels.begin(), data.pixels.end());
  }
  return out;
}

}  // namespace facegender
