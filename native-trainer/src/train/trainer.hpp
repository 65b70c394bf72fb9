// The training loop: batches drawn in balance over one or more datasets and
// augmented on worker threads, Adam with warm-up and cosine decay, label
// smoothing, an exponential moving average of the weights (what validation
// and the best checkpoint use), resumable checkpoints every N steps and on
// SIGINT/SIGTERM; optionally a teacher network to learn from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/augment.hpp"

namespace facegender {

struct TrainConfig {
  std::vector<std::string> datasets;  // packed datasets (.fgds), trained on together
  std::string out;                    // run folder: checkpoints, metrics.jsonl
  std::string arch = "compact";
  std::int64_t steps = 6000;
  int batch = 64;
  float learning_rate = 1e-3f;
  float weight_decay = 5e-4f;       // L2, as Adam's weight_decay
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
  // The shipped model's recipe is the default (models/MODEL_CARD.md).
  float label_smoothing = 0.1f;  // target mass spread evenly over all classes
  double ema_decay = 0.999;      // 0: no average; else the decay per step
  double balance = 0.5;          // draw weight count(cell)^-balance (sampling.hpp); 0: epochs
  double age_weight = 0.0;       // > 0: an auxiliary age-band head, its loss weighted by this
  // How several datasets share the draws: "cells" or "faces" (sampling.hpp).
  std::string dataset_share = "cells";
  int min_age = 0;  // train faces with a recorded age below this are left out
  // Distillation (train/distillation.hpp): a checkpoint whose softened
  // outputs are learned beside the labels; the loss is
  // (1 - weight) * label loss + weight * soft-target loss.
  std::string teacher;          // empty: none
  double distill_weight = 0.5;  // in [0, 1]
  double distill_temperature = 2.0;
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
// --resume without a checkpoint, a checkpoint of another architecture, a
// teacher trained on other classes, crops or normalisation).
TrainResult train(const TrainConfig& config);

// Stop at the next step boundary, checkpoint, and return (what SIGINT and
// SIGTERM do). Safe to call from a signal handler.
void request_stop();

}  // namespace facegender
