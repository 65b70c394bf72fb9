#include "train/checkpoint.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "common/files.hpp"
#include "common/json_text.hpp"

namespace facegender {

namespace fs = std::filesystem;

namespace {

// FNV-1a, 64 bits: enough to tell one run's weights files apart, and
// dependency-free so the GPU machine's train-only build has it too.
std::string fnv1a64_hex(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  std::ostringstream text;
  text << std::hex << std::setw(16) << std::setfill('0') << hash;
  return text.str();
}

// "last-00000120.safetensors": each save gets its own weights file, so the
// JSON's single rename switches from one complete checkpoint to the next.
std::string weights_name(const std::string& name, std::int64_t step) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%08lld", static_cast<long long>(step));
  return name + "-" + digits + ".safetensors";
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Weights files of `name` other than `keep`, and temporary files a killed
// writer left behind.
void remove_stale_files(const fs::path& dir, const std::string& name, const std::string& keep) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string file = entry.path().filename().string();
    const bool old_weights = (starts_with(file, name + "-") || file == name + ".safetensors") &&
                             entry.path().extension() == ".safetensors" && file != keep;
    const bool temporary = starts_with(file, name) && file.find(".tmp-") != std::string::npos;
    if (old_weights || temporary) fs::remove(entry.path(), error);
  }
}

void require_finite(const TensorFile& weights, const std::string& source) {
  for (const auto& [tensor_name, tensor] : weights.tensors) {
    for (const float v : tensor.values) {
      if (!std::isfinite(v)) {
        throw std::runtime_error(source + ": tensor " + tensor_name +
                                 " holds NaN or infinite values: the run that wrote it diverged, "
                                 "so this checkpoint cannot be used");
      }
    }
  }
}

fs::path json_path_of(const std::string& path) {
  fs::path json_path = path;
  if (fs::is_directory(json_path)) return json_path / "best.json";
  if (json_path.extension() != ".safetensors") return json_path;
  // A step-numbered weights file belongs to the JSON named before its step.
  std::string stem = json_path.stem().string();
  const auto dash = stem.rfind('-');
  if (dash != std::string::npos &&
      stem.find_first_not_of("0123456789", dash + 1) == std::string::npos)
    stem.resize(dash);
  return json_path.parent_path() / (stem + ".json");
}

}  // namespace

void write_checkpoint(const Checkpoint& checkpoint, const std::string& dir,
                      const std::string& name) {
  require_finite(checkpoint.weights, (fs::path(dir) / name).string());
  fs::create_directories(dir);
  const std::int64_t step = checkpoint.state.value("step", std::int64_t{0});
  const std::string weights = weights_name(name, step);
  const fs::path weights_path = fs::path(dir) / weights;
  const std::string bytes = encode_safetensors(checkpoint.weights, weights_path.string());
  write_file_atomically(weights_path.string(), bytes);
  nlohmann::json state = checkpoint.state;
  state["architecture"] = to_json(checkpoint.architecture);
  state["weights"] = weights;
  state["weights_fnv1a64"] = fnv1a64_hex(bytes);
  // The JSON's rename is the one step that switches to the new checkpoint;
  // the old weights go only after it.
  write_file_atomically((fs::path(dir) / (name + ".json")).string(), json_text(state, 2));
  remove_stale_files(dir, name, weights);
}

Checkpoint read_checkpoint(const std::string& path) {
  const fs::path json_path = json_path_of(path);
  if (!fs::exists(json_path)) {
    throw std::runtime_error(json_path.string() +
                             ": checkpoint not found (give a run folder or its .json)");
  }
  Checkpoint checkpoint;
  std::string weights_file;
  try {
    checkpoint.state = nlohmann::json::parse(read_file(json_path.string()));
    checkpoint.architecture = architecture_from_json(checkpoint.state.at("architecture"));
    weights_file = checkpoint.state.value("weights", json_path.stem().string() + ".safetensors");
  } catch (const std::exception& e) {
    throw std::runtime_error(json_path.string() + ": not a usable checkpoint: " + e.what());
  }
  if (fs::path(weights_file).filename() != fs::path(weights_file)) {
    throw std::runtime_error(json_path.string() + ": its weights file \"" + weights_file +
                             "\" is not a plain name in the checkpoint's folder");
  }
  const fs::path weights = json_path.parent_path() / weights_file;
  const std::string bytes = read_file(weights.string());
  // Checkpoints from before the hash was recorded are read unchecked.
  if (checkpoint.state.contains("weights_fnv1a64") &&
      checkpoint.state["weights_fnv1a64"] != fnv1a64_hex(bytes)) {
    throw std::runtime_error(json_path.string() + ": " + weights.string() +
                             " is not the weights file this checkpoint was written with "
                             "(its hash differs); refusing to mix the two");
  }
  checkpoint.weights = decode_safetensors(bytes, weights.string());
  require_finite(checkpoint.weights, weights.string());
  return checkpoint;
}

}  // namespace facegender
