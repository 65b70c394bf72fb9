// The training loop: batches assembled and augmented on worker threads,
// Adam with warm-up and cosine decay, periodic validation, the best
// checkpoint kept, resumable checkpoints every N steps and on SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <string>

#include "train/augment.hpp"

namespace facegender {

struct TrainConfig {
  std::string data;  // packed dataset (.fgds)
  std::string out;   // run folder: checkpoints, metrics.jsonl
  std::string arch = "compact";
  std::int64_t steps = 6000;
  int batch = 64;
  float learning_rate = 1e-3f;
  float weight_decay = 0.0f;        // L2, as Adam's weight_decay
  std::string schedule = "cosine";  // or "constant" (the seed's)
  int warmup = 100;                 // steps of linear warm-up (cosine only)
  int log_every = 50;
  int val_every = 250;
  int checkpoint_every = 250;
  std::string device = "auto";  // auto | cpu | cuda
  int threads = 0;              // LibTorch intra-op threads; 0 = all cores
  int loader_threads = 2;       // batch-assembly workers
  std::uint64_t seed = 1;
  Normalization normalization{0.5f, 0.5f};
  double margin = 0.2;  // crop margin to record when the dataset lacks prepare's
  AugmentConfig augment;
  bool resume = false;
};

struct TrainResult {
  std::int64_t steps_done = 0;
  double best_val_accuracy = 0.0;
  std::int64_t best_step = 0;
  double samples_per_second = 0.0;
  bool interrupted = false;
};

// Throws std::runtime_error naming the dataset or run folder on bad input
// (missing/corrupt files, an empty or single-class training split, a
// --resume without a checkpoint, a checkpoint of another architecture).
TrainResult train(const TrainConfig& config);

// Stop at the next step boundary, checkpoint, and return (what SIGINT and
// SIGTERM do). Safe to call from a signal handler.
void request_stop();

}  // namespace facegender
