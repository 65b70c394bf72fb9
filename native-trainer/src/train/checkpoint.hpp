// Checkpoints in a framework-neutral form:
//   <dir>/<name>-<step, 8 digits>.safetensors  weights (and, for resumable
//       checkpoints, the optimizer's moments as "optimizer.<param>.exp_avg" ...)
//   <dir>/<name>.json  {"architecture":{...}, "classes":[...], "step":N,
//       "weights":"<name>-<step>.safetensors", "weights_fnv1a64":"...",
//       "config":{...}, "metrics":{...}, ...}
// A save writes the new weights file, then renames the JSON over the old one
// (the single step that switches checkpoints), then removes the old weights
// and any temporary files a killed writer left. Names: "last" (every N steps
// and on SIGINT/SIGTERM), "best" (best val accuracy so far).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/safetensors.hpp"
#include "model/architecture.hpp"

namespace facegender {

struct Checkpoint {
  Architecture architecture;
  TensorFile weights;    // model weights (+ optimizer state in "last")
  nlohmann::json state;  // the JSON above
};

// Throws std::runtime_error naming the checkpoint when a weight is NaN or
// infinite (nothing is written) or a file cannot be written.
void write_checkpoint(const Checkpoint& checkpoint, const std::string& dir,
                      const std::string& name);
// `path` is either the .json or the .safetensors of a checkpoint, or a run
// directory (then its best checkpoint). Throws std::runtime_error naming the
// file when either part is missing or corrupt, the weights file is not the
// one the JSON was written with (its hash differs), or a weight is not finite.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace facegender
