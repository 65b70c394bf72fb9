#include "train/trainer.hpp"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/files.hpp"
#include "common/json_text.hpp"
#include "common/progress.hpp"
#include "dataset/packed_dataset.hpp"
#include "eval/predict.hpp"
#include "model/network.hpp"
#include "train/checkpoint.hpp"
#include "train/distillation.hpp"
#include "train/sampling.hpp"
#include "train/training_data.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) {
  stop_requested = true;
}

// Ctrl-C and SIGTERM ask the run to stop and save while this lives; the
// previous handlers come back when it goes (also on an exception).
class StopSignals {
 public:
  StopSignals()
      : previous_int_(std::signal(SIGINT, on_stop_signal)),
        previous_term_(std::signal(SIGTERM, on_stop_signal)) {}
  ~StopSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

torch::Device pick_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw std::runtime_error("--device cuda: this LibTorch sees no CUDA device");
    return torch::kCUDA;
  }
  if (name != "auto") throw std::runtime_error("--device must be auto, cpu or cuda, got " + name);
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

struct Batch {
  torch::Tensor images;     // [B,1,input,input]
  torch::Tensor labels;     // [B] int64
  torch::Tensor age_bands;  // [B] int64, -1 where the age is unknown
};

// Worker threads assemble and augment batches ahead of the training step,
// so the model (on a GPU especially) never waits for data.
class BatchLoader {
 public:
  BatchLoader(const dataset::PackedDataset& data, Sampler& sampler, const TrainConfig& config,
              int input, std::int64_t first_step, bool pin)
      : data_(data),
        sampler_(sampler),
        config_(config),
        input_(input),
        next_(first_step),
        consumed_(first_step),
        pin_(pin) {
    const int workers = std::max(1, config.loader_threads);
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }

  ~BatchLoader() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
  }

  Batch take(std::int64_t step) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ready_.count(step) != 0; });
    Batch batch = std::move(ready_[step]);
    ready_.erase(step);
    consumed_ = step + 1;
    changed_.notify_all();
    return batch;
  }

 private:
  static constexpr std::int64_t kAhead = 6;

  void work() {
    for (;;) {
      std::int64_t step = 0;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return closing_ || next_ < consumed_ + kAhead; });
        if (closing_) return;
        step = next_++;
      }
      Batch batch = build(step);
      {
        std::lock_guard lock(mutex_);
        ready_[step] = std::move(batch);
      }
      changed_.notify_all();
    }
  }

  Batch build(std::int64_t step) {
    const std::vector<std::size_t> indices = sampler_.batch(step, config_.batch);
    Batch batch;
    batch.images = torch::empty({config_.batch, 1, input_, input_}, torch::kFloat32);
    batch.labels = torch::empty({config_.batch}, torch::kInt64);
    batch.age_bands = torch::empty({config_.batch}, torch::kInt64);
    std::seed_seq seq{config_.seed, static_cast<std::uint64_t>(step), std::uint64_t{0xa11}};
    std::mt19937_64 rng(seq);
    const auto plane = static_cast<std::size_t>(input_) * static_cast<std::size_t>(input_);
    float* out = batch.images.data_ptr<float>();
    std::int64_t* labels = batch.labels.data_ptr<std::int64_t>();
    std::int64_t* bands = batch.age_bands.data_ptr<std::int64_t>();
    for (std::size_t j = 0; j < indices.size(); ++j) {
      const Augmentation a = sample_augmentation(config_.augment, data_.image_size, input_, rng);
      augment(data_.face(indices[j]), data_.image_size, input_, a, config_.normalization,
              std::span<float>(out + j * plane, plane));
      labels[j] = data_.records[indices[j]].label;
      bands[j] = age_band(data_.records[indices[j]].age);
    }
    if (pin_) {
      batch.images = batch.images.pin_memory();
      batch.labels = batch.labels.pin_memory();
      batch.age_bands = batch.age_bands.pin_memory();
    }
    return batch;
  }

  const dataset::PackedDataset& data_;
  Sampler& sampler_;
  const TrainConfig& config_;
  int input_;
  std::int64_t next_;
  std::int64_t consumed_;
  bool pin_;
  bool closing_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::int64_t, Batch> ready_;
  std::vector<std::thread> threads_;
};

double learning_rate_at(const TrainConfig& config, std::int64_t step) {
  if (config.schedule == "constant") return config.learning_rate;
  const double warm =
      config.warmup > 0 ? std::min(1.0, static_cast<double>(step + 1) / config.warmup) : 1.0;
  const double progress =
      static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, config.steps));
  return config.learning_rate * warm * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

void set_learning_rate(torch::optim::Adam& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

// Adam keeps its state keyed by the parameter's address; checkpoints key it
// by the parameter's name instead.
std::string state_key(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

void save_optimizer(torch::optim::Adam& optimizer, Network& network, TensorFile& file,
                    json& state) {
  json steps = json::object();
  for (const auto& p : network->named_parameters()) {
    const auto found = optimizer.state().find(state_key(p.value()));
    if (found == optimizer.state().end()) continue;
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*found->second);
    for (const auto& [suffix, tensor] :
         {std::pair{"exp_avg", s.exp_avg()}, std::pair{"exp_avg_sq", s.exp_avg_sq()}}) {
      file.tensors["optimizer." + p.key() + "." + suffix] = to_named_tensor(tensor);
    }
    steps[p.key()] = s.step();
  }
  state["optimizer"] = {{"kind", "adam"}, {"steps", steps}};
}

void load_optimizer(torch::optim::Adam& optimizer, Network& network, const Checkpoint& checkpoint,
                    const std::string& source) {
  const json& steps = checkpoint.state.at("optimizer").at("steps");
  for (const auto& p : network->named_parameters()) {
    if (!steps.contains(p.key())) continue;
    auto tensor_of = [&](const std::string& suffix) {
      const auto found = checkpoint.weights.tensors.find("optimizer." + p.key() + "." + suffix);
      if (found == checkpoint.weights.tensors.end()) {
        throw std::runtime_error(source + ": optimizer state for " + p.key() + " is missing");
      }
      return torch::from_blob(const_cast<float*>(found->second.values.data()), p.value().sizes(),
                              torch::kFloat32)
          .clone()
          .to(p.value().device());
    };
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->exp_avg(tensor_of("exp_avg"));
    s->exp_avg_sq(tensor_of("exp_avg_sq"));
    s->step(steps.at(p.key()).get<std::int64_t>());
    optimizer.state()[state_key(p.value())] = std::move(s);
  }
}

json config_json(const TrainConfig& c) {
  json config = {{"arch", c.arch},
                 {"steps", c.steps},
                 {"batch", c.batch},
                 {"learning_rate", c.learning_rate},
                 {"weight_decay", c.weight_decay},
                 {"schedule", c.schedule},
                 {"warmup", c.warmup},
                 {"seed", c.seed},
                 {"augment",
                  {{"random_crop", c.augment.random_crop},
                   {"flip", c.augment.flip},
                   {"brightness", c.augment.brightness},
                   {"contrast", c.augment.contrast},
                   {"rotate_degrees", c.augment.rotate_degrees},
                   {"scale", c.augment.scale},
                   {"shift", c.augment.shift},
                   {"blur", c.augment.blur},
                   {"light", c.augment.light},
                   {"gamma", c.augment.gamma},
                   {"noise", c.augment.noise}}},
                 {"label_smoothing", c.label_smoothing},
                 {"ema_decay", c.ema_decay},
                 {"balance", c.balance},
                 {"dataset_share", c.dataset_share},
                 {"min_age", c.min_age},
                 {"age_weight", c.age_weight}};
  if (!c.teacher.empty()) {
    config["teacher"] = c.teacher;
    config["distill_weight"] = c.distill_weight;
    config["distill_temperature"] = c.distill_temperature;
  }
  return config;
}

json data_summary(const TrainingData& training) {
  json sets = json::array();
  for (std::size_t k = 0; k < training.paths.size(); ++k) {
    json counts = {{"train", 0}, {"val", 0}, {"test", 0}};
    std::size_t faces = 0;
    for (std::size_t i = 0; i < training.data.size(); ++i) {
      if (training.dataset_of[i] != static_cast<int>(k)) continue;
      ++faces;
      const dataset::Record& r = training.data.records[i];
      if (r.split == dataset::Split::Train && r.eval_only) continue;
      counts[dataset::to_string(r.split)] = counts[dataset::to_string(r.split)].get<int>() + 1;
    }
    sets.push_back({{"path", training.paths[k]}, {"faces", faces}, {"per_split", counts}});
  }
  // The first dataset's provenance names the crop and detector they all share.
  return {{"datasets", sets}, {"provenance", training.data.provenance}};
}

// Drops log lines from steps after the checkpoint being resumed: a killed
// run may have logged past its last checkpoint.
void truncate_metrics(const fs::path& log, std::int64_t last_step) {
  if (!fs::exists(log)) return;
  std::ifstream in(log);
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      if (json::parse(line).value("step", std::int64_t{0}) > last_step) continue;
    } catch (const json::exception&) {
      continue;  // a half-written last line
    }
    kept += line + "\n";
  }
  write_file_atomically(log.string(), kept);
}

struct Validation {
  double accuracy = 0.0;
  double loss = 0.0;
};

Validation validate(Network& network, const dataset::PackedDataset& data,
                    const std::vector<std::size_t>& val, const Normalization& norm,
                    torch::Device device) {
  if (val.empty()) return {};
  const torch::Tensor probs = predict_probabilities(network, data, val, norm, device);
  std::vector<std::int64_t> label_values;
  for (std::size_t i : val) label_values.push_back(data.records[i].label);
  const torch::Tensor labels = torch::tensor(label_values, torch::kInt64);
  const double accuracy = probs.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
  const double loss =
      -probs.gather(1, labels.unsqueeze(1)).clamp_min(1e-12).log().mean().item<double>();
  return {accuracy, loss};
}

// A run whose loss or weights went NaN or infinite is a failure, not a
// result: stop before anything of it is saved.
void require_finite_training(const torch::Tensor& running_loss, Network& network, std::int64_t step,
                             double lr, std::int64_t saved_step, const fs::path& run) {
  bool finite = std::isfinite(running_loss.item<double>());
  for (const auto& p : network->parameters())
    finite = finite && torch::isfinite(p).all().item<bool>();
  if (finite) return;
  std::ostringstream message;
  message << "train: training diverged: the loss or the weights became NaN or infinite by step "
          << step << " (learning rate " << lr << "). ";
  if (saved_step > 0) {
    message << "The last good checkpoint, step " << saved_step << ", is kept in "
            << (run / "last.json").string() << ". ";
  } else {
    message << "No checkpoint was saved. ";
  }
  message << "Lower --lr and train again.";
  throw std::runtime_error(message.str());
}

// An exponential moving average of the weights and batch-norm statistics:
// a smoother model than the last step's, at the cost of one copy. Its decay
// warms up as (1 + step) / (10 + step) so that short runs are not dominated
// by the random initial weights.
class WeightAverage {
 public:
  WeightAverage(const Architecture& arch, double decay, Network& source, torch::Device device)
      : decay_(decay), average_(arch) {
    average_->to(device);
    copy_from(source);
    average_->eval();
  }

  // The warm-up ramp (1 + step) / (10 + step) keeps the first steps' random
  // weights from dominating the average.
  void update(Network& source, std::int64_t step) {
    const double t = static_cast<double>(step);
    blend(source, std::min(decay_, (1.0 + t) / (10.0 + t)));
  }

  void copy_from(Network& source) { blend(source, 0.0); }

  // Stored beside the raw weights of a resumable checkpoint, as "ema.<name>".
  void save(TensorFile& file) {
    for (auto& [name, tensor] : weights_of(average_).tensors) file.tensors["ema." + name] = tensor;
  }

  // False when the checkpoint holds no average (a run without one).
  bool load(const TensorFile& file, const std::string& source) {
    TensorFile mine;
    for (const auto& [name, tensor] : file.tensors)
      if (name.starts_with("ema.")) mine.tensors[name.substr(4)] = tensor;
    if (mine.tensors.empty()) return false;
    load_weights(average_, mine, source + " (its weight average)");
    return true;
  }

  Network& network() { return average_; }

 private:
  // average = d * average + (1 - d) * source; integer buffers (batch-norm
  // counters) are copied.
  void blend(Network& source, double d) {
    torch::NoGradGuard no_grad;
    auto mix = [d](std::vector<torch::Tensor> target, const std::vector<torch::Tensor>& current) {
      for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i].is_floating_point() && d > 0)
          target[i].mul_(d).add_(current[i], 1.0 - d);
        else
          target[i].copy_(current[i]);
      }
    };
    mix(average_->parameters(), source->parameters());
    mix(average_->buffers(), source->buffers());
  }

  double decay_;
  Network average_;
};

void use_threads(int threads) {
  torch::set_num_threads(
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

std::vector<std::size_t> trainable_pool(const TrainingData& training, const std::string& names,
                                        int min_age) {
  const dataset::PackedDataset& data = training.data;
  const std::vector<std::size_t> split = data.indices(dataset::Split::Train, true);
  const std::vector<std::size_t> pool = without_younger(data.records, split, min_age);
  if (pool.size() < split.size()) {
    std::cerr << "train: --min-age " << min_age << " leaves out " << split.size() - pool.size()
              << " of " << split.size() << " training faces\n";
  }
  if (pool.empty()) throw std::runtime_error(names + ": the train split is empty");
  std::vector<int> per_class(data.classes.size(), 0);
  for (std::size_t i : pool) ++per_class[static_cast<std::size_t>(data.records[i].label)];
  if (std::count_if(per_class.begin(), per_class.end(), [](int n) { return n > 0; }) < 2) {
    throw std::runtime_error(
        names + ": the train split holds only one class; a classifier needs two or more");
  }
  return pool;
}

// What every checkpoint of the run records about the model it holds: the
// classes, the crop and detector the faces were cut with, normalisation and
// the recipe.
json base_state(const TrainConfig& config, const TrainingData& training, const Architecture& arch,
                Network& network) {
  const dataset::PackedDataset& data = training.data;
  // The crop margin is prepare's choice; the model must record the one its
  // faces were cut with. A dataset of aligned crops names the crop its model
  // must ask for (prepare's "model_crop") and the detector that found its faces.
  const json margin = prepare_option(data, "margin");
  const json crop_option = prepare_option(data, "model_crop");
  const json crop = !crop_option.is_null()
                        ? crop_option
                        : json{{"margin", margin.is_null() ? json(config.margin) : margin},
                               {"size", data.image_size},
                               {"input", arch.input_size}};
  const json detector = prepare_option(data, "detector");
  return {
      {"classes", data.classes},
      {"config", config_json(config)},
      {"crop", crop},
      {"detector", detector.is_null() ? json("haar") : detector},
      {"normalization", {{"mean", config.normalization.mean}, {"std", config.normalization.std}}},
      {"data", data_summary(training)},
      {"parameters", parameter_count(network)}};
}

std::string joined(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : ", ") + p;
  return out;
}

Architecture architecture_for(const TrainConfig& config, int classes) {
  Architecture arch = make_architecture(config.arch, classes);
  if (config.age_weight > 0) arch.age_bands = kAgeBands;
  return arch;
}

// Cross-entropy over the faces whose age is known (band >= 0), as a sum
// over the batch's known faces divided by their count; zero when none is
// (a batch of CelebA crops only), where the mean would be NaN.
torch::Tensor age_loss(const torch::Tensor& age_logits, const torch::Tensor& bands) {
  const torch::Tensor known = bands.ge(0);
  const torch::Tensor sum = torch::nn::functional::cross_entropy(
      age_logits, bands,
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kSum));
  return sum / known.sum().clamp_min(1).to(sum.dtype());
}

class Trainer {
 public:
  explicit Trainer(const TrainConfig& config)
      : config_(config),
        names_(joined(config.datasets)),
        training_(load_training_data(config.datasets)),
        pool_(trainable_pool(training_, names_, config.min_age)),
        val_(training_.data.indices(dataset::Split::Val)),
        device_((use_threads(config.threads), pick_device(config.device))),
        arch_(architecture_for(config, static_cast<int>(training_.data.classes.size()))),
        network_(arch_),
        run_(config.out) {
    network_->initialize(config.seed);
    network_->to(device_);
    optimizer_ = std::make_unique<torch::optim::Adam>(
        network_->parameters(),
        torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
    if (config.ema_decay > 0)
      average_ = std::make_unique<WeightAverage>(arch_, config.ema_decay, network_, device_);
    fs::create_directories(run_);
    open_run();
    state_ = base_state(config, training_, arch_, network_);
    if (!config.teacher.empty())
      teacher_.emplace(config.teacher, state_, arch_.input_size, device_);
    running_loss_ = torch::zeros({}, device_);
    running_correct_ = torch::zeros({}, torch::TensorOptions(device_).dtype(torch::kInt64));
    if (config.steps < config.val_every && !val_.empty()) {
      std::cerr << "train: --steps " << config.steps << " is below --val-every " << config.val_every
                << ": validation runs once, at the end\n";
    }
  }

  TrainResult run() {
    // Before metrics.jsonl appears: a stop asked for once the run is visible
    // is honoured (a test sends SIGINT as soon as the file exists).
    stop_requested = false;
    const StopSignals signals;
    const fs::path log_path = run_ / "metrics.jsonl";
    log_.open(log_path, std::ios::app);
    if (!log_) throw std::runtime_error(log_path.string() + ": cannot open for writing");
    Sampler sampler(pool_, config_.seed, sampling_weights());
    BatchLoader loader(training_.data, sampler, config_, arch_.input_size, step_,
                       device_.is_cuda());
    Progress progress("train " + arch_.name, config_.steps, " steps");
    progress.set(step_);
    network_->train();
    window_start_ = std::chrono::steady_clock::now();
    const auto run_start = window_start_;
    const std::int64_t first_step = step_;
    while (step_ < config_.steps && !stop_requested) {
      train_step(loader.take(step_));
      if (step_ % config_.log_every == 0 || step_ % config_.val_every == 0 ||
          step_ == config_.steps)
        log_step(progress);
      progress.set(step_);
      if (step_ % config_.checkpoint_every == 0) save("last", true);
    }
    progress.finish();
    result_.interrupted = stop_requested && step_ < config_.steps;
    save("last", true);
    if (result_.best_step == 0)
      save("best", false);  // no validation split: the last weights are the best known
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    result_.steps_done = step_;
    result_.samples_per_second =
        seconds > 0 ? static_cast<double>((step_ - first_step) * config_.batch) / seconds : 0.0;
    if (result_.interrupted) {
      std::cerr << "train: stopped at step " << step_
                << "; checkpoint saved. Continue with --resume.\n";
    }
    return result_;
  }

 private:
  std::vector<double> sampling_weights() const {
    const DatasetShare share = dataset_share_from_string(config_.dataset_share);
    std::vector<double> weights = balance_weights(training_.data.records, training_.dataset_of,
                                                  pool_, config_.balance, share);
    report_dataset_shares(weights);
    // Every face alike: plain shuffled epochs draw that, each face once an epoch.
    if (config_.balance == 0 && share == DatasetShare::Cells) return {};
    return weights;
  }

  // Says what share of the draws each dataset gets: with several datasets
  // that follows from --balance and --dataset-share, not from their sizes.
  void report_dataset_shares(const std::vector<double>& weights) const {
    if (training_.paths.size() < 2) return;
    const std::vector<double> shares = dataset_shares(training_.dataset_of, pool_, weights);
    std::cerr << "train: draws per dataset (--balance " << config_.balance << ", --dataset-share "
              << config_.dataset_share << "):";
    for (std::size_t k = 0; k < shares.size(); ++k) {
      std::cerr << (k ? ", " : " ") << fs::path(training_.paths[k]).filename().string() << " "
                << std::fixed << std::setprecision(1) << 100.0 * shares[k] << "%";
    }
    std::cerr << std::defaultfloat << "\n";
  }

  void open_run() {
    const std::string last = (run_ / "last.json").string();
    if (!config_.resume) {
      if (fs::exists(last))
        throw std::runtime_error(
            run_.string() + " already holds a run: pass --resume to continue it, or another --out");
      return;
    }
    if (!fs::exists(last)) throw std::runtime_error(last + ": no checkpoint to resume from");
    const Checkpoint checkpoint = read_checkpoint(last);
    if (checkpoint.architecture.name != arch_.name) {
      throw std::runtime_error(last + ": checkpoint is a " + checkpoint.architecture.name +
                               ", not " + arch_.name);
    }
    load_weights(network_, checkpoint.weights, last);
    load_optimizer(*optimizer_, network_, checkpoint, last);
    if (average_ && !average_->load(checkpoint.weights, last)) average_->copy_from(network_);
    step_ = checkpoint.state.at("step").get<std::int64_t>();
    saved_step_ = step_;
    metrics_ = checkpoint.state.value("metrics", json::object());
    result_.best_val_accuracy = metrics_.value("best_val_accuracy", 0.0);
    result_.best_step = metrics_.value("best_step", std::int64_t{0});
    truncate_metrics(run_ / "metrics.jsonl", step_);
    std::cerr << "train: resuming " << run_.string() << " at step " << step_ << "\n";
  }

  void train_step(const Batch& batch) {
    const torch::Tensor x = batch.images.to(device_, /*non_blocking=*/true);
    const torch::Tensor y = batch.labels.to(device_, /*non_blocking=*/true);
    set_learning_rate(*optimizer_, learning_rate_at(config_, step_));
    // Dropout masks follow the step too.
    torch::manual_seed(config_.seed + static_cast<std::uint64_t>(step_));
    torch::Tensor logits;
    torch::Tensor age_logits;
    if (arch_.age_bands > 0) {
      std::tie(logits, age_logits) = network_->forward_with_age(x);
    } else {
      logits = network_->forward(x);
    }
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        logits, y,
        torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(config_.label_smoothing));
    if (teacher_) {
      const double w = config_.distill_weight;
      loss = (1.0 - w) * loss +
             w * distillation_loss(logits, teacher_->logits(x), config_.distill_temperature);
    }
    if (arch_.age_bands > 0)
      loss = loss + config_.age_weight * age_loss(age_logits, batch.age_bands.to(device_));
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    if (average_) average_->update(network_, step_);
    running_loss_ += loss.detach();
    running_correct_ += logits.argmax(1).eq(y).sum();
    ++running_steps_;
    ++step_;
  }

  // The network validation judges and the best checkpoint holds.
  Network& judged() { return average_ ? average_->network() : network_; }

  void log_step(Progress& progress) {
    const double lr = learning_rate_at(config_, step_ - 1);
    require_finite_training(running_loss_, network_, step_, lr, saved_step_, run_);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start_).count();
    const double samples = static_cast<double>(running_steps_ * config_.batch);
    json line = {{"step", step_},
                 {"loss", running_loss_.item<double>() / static_cast<double>(running_steps_)},
                 {"accuracy", static_cast<double>(running_correct_.item<std::int64_t>()) / samples},
                 {"samples_per_s", samples / seconds},
                 {"learning_rate", lr}};
    const bool validate_now = step_ % config_.val_every == 0 || step_ == config_.steps;
    if (validate_now && !val_.empty()) validate_into(line);
    log_ << json_text(line) << "\n" << std::flush;
    std::ostringstream note;
    note.setf(std::ios::fixed);
    note.precision(3);
    note << "loss " << line["loss"].get<double>();
    note.precision(1);
    note << " acc " << 100.0 * line["accuracy"].get<double>() << "%";
    if (line.contains("val_accuracy"))
      note << " val " << 100.0 * line["val_accuracy"].get<double>() << "%";
    progress.set_note(note.str());
    running_loss_.zero_();
    running_correct_.zero_();
    running_steps_ = 0;
    window_start_ = std::chrono::steady_clock::now();
  }

  void validate_into(json& line) {
    const Validation v = validate(judged(), training_.data, val_, config_.normalization, device_);
    line["val_accuracy"] = v.accuracy;
    line["val_loss"] = v.loss;
    if (average_) line["val_weights"] = "average";
    metrics_["last_val_accuracy"] = v.accuracy;
    if (v.accuracy > result_.best_val_accuracy || result_.best_step == 0) {
      result_.best_val_accuracy = v.accuracy;
      result_.best_step = step_;
      metrics_["best_val_accuracy"] = v.accuracy;
      metrics_["best_step"] = step_;
      save("best", false);
    }
  }

  // "last" holds the raw weights, the optimizer and the average (to resume);
  // "best" holds the weights validation judged.
  void save(const std::string& name, bool resumable) {
    require_finite_training(running_loss_, network_, step_, learning_rate_at(config_, step_),
                            saved_step_, run_);
    if (name == "last") saved_step_ = step_;
    Checkpoint checkpoint{arch_, weights_of(resumable ? network_ : judged()), state_};
    checkpoint.state["step"] = step_;
    checkpoint.state["metrics"] = metrics_;
    if (average_) checkpoint.state["weight_kind"] = resumable ? "raw" : "average";
    if (resumable) {
      save_optimizer(*optimizer_, network_, checkpoint.weights, checkpoint.state);
      if (average_) average_->save(checkpoint.weights);
    }
    write_checkpoint(checkpoint, run_.string(), name);
  }

  const TrainConfig& config_;
  std::string names_;
  TrainingData training_;
  std::vector<std::size_t> pool_;
  std::vector<std::size_t> val_;
  torch::Device device_;
  Architecture arch_;
  Network network_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<WeightAverage> average_;
  std::optional<Teacher> teacher_;
  fs::path run_;
  json state_;
  json metrics_ = json::object();
  TrainResult result_;
  std::int64_t step_ = 0;
  std::int64_t saved_step_ = 0;
  std::ofstream log_;
  // The loss summed since the last log line: NaN or infinite once any
  // step's loss was.
  torch::Tensor running_loss_;
  torch::Tensor running_correct_;
  std::int64_t running_steps_ = 0;
  std::chrono::steady_clock::time_point window_start_;
};

}  // namespace

void request_stop() {
  stop_requested = true;
}

TrainResult train(const TrainConfig& config) {
  if (config.batch <= 0 || config.steps <= 0)
    throw std::runtime_error("--batch and --steps must be positive");
  Trainer trainer(config);
  return trainer.run();
}

}  // namespace facegender
