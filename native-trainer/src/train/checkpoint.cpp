#include "train/checkpoint.hpp"

#include <filesystem>
#include <stdexcept>

#include "common/files.hpp"

namespace facegender {

namespace fs = std::filesystem;

void write_checkpoint(const Checkpoint& checkpoint, const std::string& dir,
                      const std::string& name) {
  fs::create_directories(dir);
  const fs::path base = fs::path(dir) / name;
  write_safetensors(checkpoint.weights, base.string() + ".safetensors");
  nlohmann::json state = checkpoint.state;
  state["architecture"] = to_json(checkpoint.architecture);
  state["weights"] = name + ".safetensors";
  // JSON last: it is what marks the checkpoint complete.
  write_file_atomically(base.string() + ".json", state.dump(2));
}

Checkpoint read_checkpoint(const std::string& path) {
  fs::path json_path = path;
  if (fs::is_directory(json_path)) json_path /= "best.json";
  if (json_path.extension() == ".safetensors") json_path.replace_extension(".json");
  if (!fs::exists(json_path)) {
    throw std::runtime_error(json_path.string() +
                             ": checkpoint not found (give a run folder or its .json)");
  }
  Checkpoint checkpoint;
  try {
    checkpoint.state = nlohmann::json::parse(read_file(json_path.string()));
    checkpoint.architecture = architecture_from_json(checkpoint.state.at("architecture"));
  } catch (const std::exception& e) {
    throw std::runtime_error(json_path.string() + ": not a usable checkpoint: " + e.what());
  }
  const fs::path weights =
      json_path.parent_path() /
      checkpoint.state.value("weights", json_path.stem().string() + ".safetensors");
  checkpoint.weights = read_safetensors(weights.string());
  return checkpoint;
}

}  // namespace facegender
