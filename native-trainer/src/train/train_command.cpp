#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "model/architecture.hpp"
#include "train/augment_options.hpp"
#include "train/trainer.hpp"

namespace facegender::cli {

void add_train(CLI::App& app) {
  auto config = std::make_shared<TrainConfig>();
  auto json_output = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("train", "Train a network on a packed dataset (CPU or CUDA)");
  cmd->add_option("data", config->datasets,
                  "Packed datasets from `facegender prepare` (.fgds); several are trained on "
                  "together")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--out", config->out, "Run folder: checkpoints (best, last) and metrics.jsonl")
      ->required();
  cmd->add_option("--arch", config->arch,
                  "Network: compact (the default, <1 MB), its -small and -wide widths, or "
                  "seed2017 (the seed's)")
      ->check(CLI::IsMember(architecture_names()))
      ->capture_default_str();
  cmd->add_option("--steps", config->steps, "Training steps")->capture_default_str();
  cmd->add_option("--batch", config->batch, "Batch size")->capture_default_str();
  cmd->add_option("--lr", config->learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", config->weight_decay, "Adam weight decay (L2)")
      ->capture_default_str();
  cmd->add_option("--schedule", config->schedule, "cosine (with warm-up) or constant (the seed's)")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  cmd->add_option("--warmup", config->warmup, "Warm-up steps (cosine)")->capture_default_str();
  cmd->add_option("--log-every", config->log_every, "Steps between metrics lines")
      ->capture_default_str();
  cmd->add_option("--val-every", config->val_every, "Steps between validations (best checkpoint)")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", config->checkpoint_every,
                  "Steps between resumable checkpoints")
      ->capture_default_str();
  cmd->add_option("--device", config->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--threads", config->threads, "LibTorch threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--loader-threads", config->loader_threads, "Threads assembling batches")
      ->capture_default_str();
  cmd->add_option("--seed", config->seed, "Random seed (weights, order, augmentation, dropout)")
      ->capture_default_str();
  cmd->add_option("--norm-mean", config->normalization.mean,
                  "Input normalisation: (x/255 - mean) / std")
      ->capture_default_str();
  cmd->add_option("--norm-std", config->normalization.std, "Input normalisation std")
      ->capture_default_str();
  cmd->add_option("--margin", config->margin,
                  "Crop margin to record in the model when the dataset lacks prepare's")
      ->capture_default_str();
  add_augment_options(cmd, config->augment);
  cmd->add_option("--label-smoothing", config->label_smoothing,
                  "Target mass spread over all classes")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option(
         "--ema", config->ema_decay,
         "Decay of the weight average that validation and the best checkpoint use (0: off)")
      ->check(CLI::Range(0.0, 0.99999))
      ->capture_default_str();
  cmd->add_option("--balance", config->balance,
                  "Sample each dataset x class x age band x race cell with weight count^-B "
                  "(0: plain epochs, 1: equal cells)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--dataset-share", config->dataset_share,
                  "With several datasets: cells (every cell of every dataset weighed together) "
                  "or faces (each dataset drawn as often as its share of the faces, --balance "
                  "within it)")
      ->check(CLI::IsMember({"cells", "faces"}))
      ->capture_default_str();
  cmd->add_option("--min-age", config->min_age,
                  "Leave out training faces whose recorded age is below this (faces without "
                  "an age stay; val and test keep every face)")
      ->check(CLI::Range(0, 200))
      ->capture_default_str();
  cmd->add_option("--age-weight", config->age_weight,
                  "Also learn the age band (0-9, 10-17, 18-29, 30-44, 45-59, 60+) of faces with "
                  "an age, with this loss weight (0: off)")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--teacher", config->teacher,
                  "Distil from this trained checkpoint (a run folder or .json): learn its "
                  "softened outputs beside the labels")
      ->check(CLI::ExistingPath);
  cmd->add_option("--distill-weight", config->distill_weight,
                  "With --teacher: the soft targets' share of the loss (1: the teacher alone)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--distill-temperature", config->distill_temperature,
                  "With --teacher: the temperature both outputs are softened by")
      ->check(CLI::Range(0.1, 20.0))
      ->capture_default_str();
  cmd->add_flag("--resume", config->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_flag("--json", *json_output, "Print the result as JSON");
  cmd->callback([config, json_output] {
    const TrainResult r = train(*config);
    if (*json_output) {
      std::cout << nlohmann::json{{"steps", r.steps_done},
                                  {"best_val_accuracy", r.best_val_accuracy},
                                  {"best_step", r.best_step},
                                  {"samples_per_s", r.samples_per_second},
                                  {"interrupted", r.interrupted},
                                  {"out", config->out}}
                       .dump()
                << "\n";
    } else {
      std::cout << "trained " << r.steps_done << " steps (" << r.samples_per_second
                << " samples/s); best val accuracy " << 100.0 * r.best_val_accuracy << "% at step "
                << r.best_step << "; checkpoints in " << config->out << "\n";
    }
    if (r.interrupted) throw CLI::RuntimeError(130);
  });
}

}  // namespace facegender::cli
