#include "export_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "export/export_command.hpp"
#include "model/network.hpp"

namespace facegender::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Removes this process's scratch folders when the test program ends.
struct ScratchRoot {
  fs::path path =
      fs::temp_directory_path() / ("facegender-export-tests-" + std::to_string(::getpid()));
  ~ScratchRoot() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

ScratchRoot& scratch_root() {
  static ScratchRoot root;
  return root;
}

std::set<std::string> batch_norm_names(const Architecture& architecture) {
  std::set<std::string> names;
  for (const Layer& layer : architecture.layers) {
    if (layer.op == LayerOp::BatchNorm) names.insert(layer.name);
  }
  return names;
}

void randomise(std::vector<float>& values, std::mt19937& rng, float low, float high) {
  std::uniform_real_distribution<float> uniform(low, high);
  for (float& v : values) v = uniform(rng);
}

// He initialisation for every Conv and Linear, whatever the architecture's
// own recipe: activations keep their scale through the layers, so the
// outputs depend on the input as a trained network's do (the seed's
// N(0, 0.01) leaves its logits almost constant).
void he_initialise(Checkpoint& checkpoint, std::mt19937& rng) {
  std::uniform_real_distribution<float> bias(-0.1f, 0.1f);
  for (const Layer& layer : checkpoint.architecture.layers) {
    if (layer.op != LayerOp::Conv && layer.op != LayerOp::Linear) continue;
    const int fan_in =
        layer.op == LayerOp::Conv ? layer.in * layer.kernel * layer.kernel : layer.in;
    std::normal_distribution<float> weight(0.0f, std::sqrt(2.0f / static_cast<float>(fan_in)));
    for (float& w : checkpoint.weights.tensors.at(layer.name + ".weight").values) w = weight(rng);
    for (float& b : checkpoint.weights.tensors.at(layer.name + ".bias").values) b = bias(rng);
  }
}

// An untrained network says about 50% to everything, so any two
// implementations would agree on its probabilities. Scale the last layer so
// that, over random inputs, the difference of the first two logits has
// standard deviation 4 around 0: probabilities from about 2% to 98%.
void spread_logits(Checkpoint& checkpoint) {
  const Architecture& arch = checkpoint.architecture;
  const std::string last = arch.layers.back().name;
  Network network(arch);
  load_weights(network, checkpoint.weights, "test");
  network->eval();
  torch::NoGradGuard no_grad;
  std::vector<float> input = random_tensor(32, arch.input_size, 1);
  const torch::Tensor logits =
      network->forward(torch::from_blob(input.data(), {32, 1, arch.input_size, arch.input_size}));
  const torch::Tensor difference = logits.select(1, 0) - logits.select(1, 1);
  const float scale = 4.0f / difference.std().item<float>();
  for (float& w : checkpoint.weights.tensors.at(last + ".weight").values) w *= scale;
  std::vector<float>& bias = checkpoint.weights.tensors.at(last + ".bias").values;
  for (float& b : bias) b *= scale;
  bias[0] -= scale * difference.mean().item<float>();
}

// Shell-quotes one argument for popen.
std::string quoted(const std::string& arg) {
  std::string text = "'";
  for (char c : arg) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return text + "'";
}

}  // namespace

std::string scratch_dir(const std::string& name) {
  const fs::path dir = scratch_root().path / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

json checkpoint_state(int classes) {
  json names = json::array();
  if (classes == 2) {
    names = {"female", "male"};
  } else {
    for (int i = 0; i < classes; ++i) names.push_back("c" + std::to_string(i));
  }
  return {{"classes", names},
          {"crop", {{"margin", 0.2}, {"size", 100}, {"input", 80}}},
          {"normalization", {{"mean", 0.5}, {"std", 0.25}}},
          {"config", {{"steps", 10}, {"batch", 16}, {"learning_rate", 0.003}}},
          {"metrics", {{"val_accuracy", 0.5}, {"step", 10}}},
          {"data", {{"train", 100}, {"val", 10}, {"classes", names}}},
          {"step", 10}};
}

Checkpoint make_checkpoint(const std::string& architecture, int classes, std::uint64_t seed) {
  Checkpoint checkpoint;
  checkpoint.architecture = make_architecture(architecture, classes);
  Network network(checkpoint.architecture);
  network->initialize(seed);
  checkpoint.weights = weights_of(network);
  std::mt19937 rng(static_cast<unsigned>(seed));
  he_initialise(checkpoint, rng);
  for (const std::string& bn : batch_norm_names(checkpoint.architecture)) {
    randomise(checkpoint.weights.tensors.at(bn + ".weight").values, rng, 0.5f, 1.5f);
    randomise(checkpoint.weights.tensors.at(bn + ".bias").values, rng, -0.5f, 0.5f);
    randomise(checkpoint.weights.tensors.at(bn + ".running_mean").values, rng, -0.5f, 0.5f);
    randomise(checkpoint.weights.tensors.at(bn + ".running_var").values, rng, 0.5f, 2.0f);
  }
  spread_logits(checkpoint);
  checkpoint.state = checkpoint_state(classes);
  return checkpoint;
}

std::string write_test_checkpoint(const std::string& dir, const std::string& architecture,
                                  int classes, std::uint64_t seed) {
  write_checkpoint(make_checkpoint(architecture, classes, seed), dir, "best");
  return dir + "/best.json";
}

const std::string& shared_compact_model() {
  static const std::string path = [] {
    const std::string dir = scratch_dir("shared-model");
    exporting::ExportOptions options;
    options.checkpoint = write_test_checkpoint(dir, "compact");
    options.out = dir + "/model.onnx";
    std::ostringstream log;
    exporting::export_onnx(options, log);
    return options.out;
  }();
  return path;
}

std::vector<double> libtorch_probabilities(const Checkpoint& checkpoint,
                                           const std::vector<float>& tensor, int count,
                                           bool float64) {
  torch::NoGradGuard no_grad;
  Network network(checkpoint.architecture);
  load_weights(network, checkpoint.weights, "test");
  network->eval();
  const torch::Dtype dtype = float64 ? torch::kFloat64 : torch::kFloat32;
  network->to(dtype);
  const std::int64_t side = checkpoint.architecture.input_size;
  const torch::Tensor input =
      torch::from_blob(const_cast<float*>(tensor.data()), {count, 1, side, side}).to(dtype);
  const torch::Tensor p =
      torch::softmax(network->forward(input), 1).to(torch::kFloat64).contiguous();
  return {p.data_ptr<double>(), p.data_ptr<double>() + p.numel()};
}

std::vector<float> random_tensor(int count, int side, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  const std::size_t plane = static_cast<std::size_t>(side) * side;
  std::vector<float> tensor(static_cast<std::size_t>(count) * plane);
  for (int i = 0; i < count; ++i) {
    // Images differ in brightness and contrast, as faces do, so the network's
    // outputs differ between them.
    const float base = 255.0f * unit(rng);
    const float amplitude = 128.0f * unit(rng);
    for (std::size_t k = 0; k < plane; ++k) {
      const float pixel =
          std::clamp(std::round(base + amplitude * (2.0f * unit(rng) - 1.0f)), 0.0f, 255.0f);
      // The test checkpoints normalise with mean 0.5, std 0.25.
      tensor[i * plane + k] = (pixel / 255.0f - 0.5f) / 0.25f;
    }
  }
  return tensor;
}

CliResult run_cli(const std::vector<std::string>& args) {
  CLI::App app{"facegender"};
  app.require_subcommand(1);
  cli::add_export(app);
  cli::add_classify(app);
  std::vector<std::string> storage = {"facegender"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());

  CliResult result;
  std::ostringstream out;
  std::ostringstream err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = e.what();
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

ProcessResult run_binary(const std::vector<std::string>& args) {
  std::string command = quoted(FACEGENDER_CLI);
  for (const std::string& arg : args) command += " " + quoted(arg);
  command += " 2>/dev/null";
  ProcessResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

std::string dlib_photo(const std::string& name) {
  return std::string(FACEGENDER_TEST_PHOTOS) + "/dlib-faces/" + name;
}

}  // namespace facegender::testing
