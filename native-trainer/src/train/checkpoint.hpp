// Checkpoints in a framework-neutral form:
//   <dir>/<name>.safetensors  weights (and, for resumable checkpoints, the
//                             optimizer's moment tensors as "optimizer.<param>.exp_avg" ...)
//   <dir>/<name>.json         {"architecture":{...}, "classes":[...], "step":N,
//                              "config":{...}, "rng":"...", "metrics":{...}, ...}
// Both files are written atomically; the JSON last, so a JSON always points
// at complete weights. Names: "last" (every N steps and on SIGINT/SIGTERM),
// "best" (best val accuracy so far).
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

void write_checkpoint(const Checkpoint& checkpoint, const std::string& dir,
                      const std::string& name);
// `path` is either the .json or the .safetensors of a checkpoint, or a run
// directory (then its best checkpoint). Throws std::runtime_error naming the
// file when either part is missing or corrupt.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace facegender
