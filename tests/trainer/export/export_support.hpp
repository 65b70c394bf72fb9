// Helpers for the export and classify tests: checkpoints of freshly
// initialised networks (with non-trivial batch-norm statistics, so folding
// is really exercised), exported models, and the CLI run in-process or as a
// subprocess.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/checkpoint.hpp"

namespace facegender::testing {

// A folder under the system's temporary directory, unique to this process
// and `name`, created empty; removed at exit.
std::string scratch_dir(const std::string& name);

// The checkpoint state the trainer writes (classes, crop, normalization,
// config, metrics, data), for `classes` classes.
nlohmann::json checkpoint_state(int classes);

// Network(make_architecture(name, classes)) initialised with `seed`; batch
// norm's weight, bias and running statistics are randomised so the exported
// fold differs from the identity, and the last layer is scaled so the
// probabilities spread (about 2% to 98% on random inputs), as a trained
// model's do.
Checkpoint make_checkpoint(const std::string& architecture, int classes, std::uint64_t seed);

// Writes make_checkpoint(...) as <dir>/best and returns <dir>/best.json.
std::string write_test_checkpoint(const std::string& dir, const std::string& architecture,
                                  int classes = 2, std::uint64_t seed = 7);

// A compact model exported once per process (classes female, male).
const std::string& shared_compact_model();

// LibTorch's probabilities (eval mode, softmax) for `count` inputs, with the
// network in float64 (the exact function the export is held to) or in
// float32 (as trained).
std::vector<double> libtorch_probabilities(const Checkpoint& checkpoint,
                                           const std::vector<float>& tensor, int count,
                                           bool float64 = true);

// `count` inputs of side x side, normalised pixels drawn uniformly.
std::vector<float> random_tensor(int count, int side, unsigned seed);

struct CliResult {
  bool ok = true;     // false: the command threw (main would exit 1)
  std::string error;  // the exception's message
  std::string out;    // what it wrote to std::cout
  std::string err;    // what it wrote to std::cerr
};

// Parses and runs `facegender <args>` in this process (export and classify
// registered as main.cpp registers them), capturing its output.
CliResult run_cli(const std::vector<std::string>& args);

struct ProcessResult {
  int status = -1;  // exit status, -1 if it did not exit normally
  std::string out;  // stdout (stderr is discarded)
};

// Runs the built facegender binary.
ProcessResult run_binary(const std::vector<std::string>& args);

std::vector<nlohmann::json> json_lines(const std::string& text);

std::string dlib_photo(const std::string& name);

}  // namespace facegender::testing
