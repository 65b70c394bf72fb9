#include "train/trainer.hpp"

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/files.hpp"
#include "common/json_text.hpp"
#include "common/progress.hpp"
#include "dataset/packed_dataset.hpp"
#include "eval/predict.hpp"
#include "model/network.hpp"
#include "train/checkpoint.hpp"

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

// Which faces and which augmentation a step uses follow from (seed, step)
// alone, so a resumed run sees exactly the batches the first run would have.
class Sampler {
 public:
  Sampler(std::vector<std::size_t> pool, std::uint64_t seed)
      : pool_(std::move(pool)), seed_(seed) {}

  std::vector<std::size_t> batch(std::int64_t step, int size) {
    std::vector<std::size_t> out;
    const auto n = static_cast<std::int64_t>(pool_.size());
    for (int j = 0; j < size; ++j) {
      const std::int64_t global = step * size + j;
      out.push_back(permutation(global / n)[static_cast<std::size_t>(global % n)]);
    }
    return out;
  }

 private:
  const std::vector<std::size_t>& permutation(std::int64_t epoch) {
    std::lock_guard lock(mutex_);
    auto found = epochs_.find(epoch);
    if (found == epochs_.end()) {
      std::vector<std::size_t> order = pool_;
      std::seed_seq seq{seed_, static_cast<std::uint64_t>(epoch), std::uint64_t{0x5eed}};
      std::mt19937_64 rng(seq);
      std::shuffle(order.begin(), order.end(), rng);
      found = epochs_.emplace(epoch, std::move(order)).first;
      while (epochs_.size() > 3) epochs_.erase(epochs_.begin());
    }
    return found->second;
  }

  std::vector<std::size_t> pool_;
  std::uint64_t seed_;
  std::mutex mutex_;
  std::map<std::int64_t, std::vector<std::size_t>> epochs_;
};

struct Batch {
  torch::Tensor images;  // [B,1,input,input]
  torch::Tensor labels;  // [B] int64
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
    std::seed_seq seq{config_.seed, static_cast<std::uint64_t>(step), std::uint64_t{0xa11}};
    std::mt19937_64 rng(seq);
    const auto plane = static_cast<std::size_t>(input_) * static_cast<std::size_t>(input_);
    float* out = batch.images.data_ptr<float>();
    std::int64_t* labels = batch.labels.data_ptr<std::int64_t>();
    for (std::size_t j = 0; j < indices.size(); ++j) {
      const Augmentation a = sample_augmentation(config_.augment, data_.image_size, input_, rng);
      augment(data_.face(indices[j]), data_.image_size, input_, a, config_.normalization,
              std::span<float>(out + j * plane, plane));
      labels[j] = data_.records[indices[j]].label;
    }
    if (pin_) {
      batch.images = batch.images.pin_memory();
      batch.labels = batch.labels.pin_memory();
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
  return {{"arch", c.arch},
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
            {"contrast", c.augment.contrast}}}};
}

json data_summary(const dataset::PackedDataset& data, const std::string& path) {
  json counts = json::object();
  for (const auto split : {dataset::Split::Train, dataset::Split::Val, dataset::Split::Test}) {
    counts[dataset::to_string(split)] = data.indices(split, split == dataset::Split::Train).size();
  }
  return {{"path", path},
          {"faces", data.size()},
          {"per_split", counts},
          {"provenance", data.provenance}};
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

}  // namespace

void request_stop() {
  stop_requested = true;
}

TrainResult train(const TrainConfig& config) {
  if (config.batch <= 0 || config.steps <= 0)
    throw std::runtime_error("--batch and --steps must be positive");
  const dataset::PackedDataset data = dataset::read(config.data);
  const std::vector<std::size_t> train_pool = data.indices(dataset::Split::Train, true);
  const std::vector<std::size_t> val = data.indices(dataset::Split::Val);
  if (train_pool.empty()) throw std::runtime_error(config.data + ": the train split is empty");
  std::vector<int> per_class(data.classes.size(), 0);
  for (std::size_t i : train_pool) ++per_class[static_cast<std::size_t>(data.records[i].label)];
  if (std::count_if(per_class.begin(), per_class.end(), [](int n) { return n > 0; }) < 2) {
    throw std::runtime_error(
        config.data + ": the train split holds only one class; a classifier needs two or more");
  }

  if (config.threads > 0)
    torch::set_num_threads(config.threads);
  else
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const torch::Device device = pick_device(config.device);
  const Architecture arch = make_architecture(config.arch, static_cast<int>(data.classes.size()));
  Network network(arch);
  network->initialize(config.seed);
  network->to(device);
  torch::optim::Adam optimizer(
      network->parameters(),
      torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));

  const fs::path run = config.out;
  fs::create_directories(run);
  const fs::path log_path = run / "metrics.jsonl";
  TrainResult result;
  std::int64_t step = 0;
  json metrics = json::object();
  if (config.resume) {
    const std::string last = (run / "last.json").string();
    if (!fs::exists(last)) throw std::runtime_error(last + ": no checkpoint to resume from");
    const Checkpoint checkpoint = read_checkpoint(last);
    if (checkpoint.architecture.name != arch.name) {
      throw std::runtime_error(last + ": checkpoint is a " + checkpoint.architecture.name +
                               ", not " + arch.name);
    }
    load_weights(network, checkpoint.weights, last);
    load_optimizer(optimizer, network, checkpoint, last);
    step = checkpoint.state.at("step").get<std::int64_t>();
    metrics = checkpoint.state.value("metrics", json::object());
    result.best_val_accuracy = metrics.value("best_val_accuracy", 0.0);
    result.best_step = metrics.value("best_step", std::int64_t{0});
    truncate_metrics(log_path, step);
    std::cerr << "train: resuming " << run.string() << " at step " << step << "\n";
  } else if (fs::exists(run / "last.json")) {
    throw std::runtime_error(
        run.string() + " already holds a run: pass --resume to continue it, or another --out");
  }

  // The crop margin is prepare's choice; the model must record the one its
  // faces were cut with.
  const json::json_pointer recorded_margin("/options/margin");
  const double margin = data.provenance.contains(recorded_margin)
                            ? data.provenance[recorded_margin].get<double>()
                            : config.margin;
  // A dataset of aligned crops names the crop its model must ask for
  // (prepare's "model_crop") and the detector that found its faces.
  const json::json_pointer model_crop("/options/model_crop");
  const json crop =
      data.provenance.contains(model_crop)
          ? data.provenance[model_crop]
          : json{{"margin", margin}, {"size", data.image_size}, {"input", arch.input_size}};
  const json::json_pointer detector("/options/detector");
  json base_state = {
      {"classes", data.classes},
      {"config", config_json(config)},
      {"crop", crop},
      {"detector", data.provenance.contains(detector) ? data.provenance[detector] : json("haar")},
      {"normalization", {{"mean", config.normalization.mean}, {"std", config.normalization.std}}},
      {"data", data_summary(data, config.data)},
      {"parameters", parameter_count(network)}};
  // The loss summed since the last log line: NaN or infinite once any
  // step's loss was.
  torch::Tensor running_loss = torch::zeros({}, device);
  std::int64_t saved_step = config.resume ? step : 0;
  auto save = [&](const std::string& name, bool with_optimizer) {
    require_finite_training(running_loss, network, step, learning_rate_at(config, step), saved_step,
                            run);
    if (name == "last") saved_step = step;
    Checkpoint checkpoint{arch, weights_of(network), base_state};
    checkpoint.state["step"] = step;
    checkpoint.state["metrics"] = metrics;
    if (with_optimizer) save_optimizer(optimizer, network, checkpoint.weights, checkpoint.state);
    write_checkpoint(checkpoint, run.string(), name);
  };

  // Before metrics.jsonl appears: a stop asked for once the run is visible
  // is honoured (a test sends SIGINT as soon as the file exists).
  stop_requested = false;
  const StopSignals signals;
  std::ofstream log(log_path, std::ios::app);
  if (!log) throw std::runtime_error(log_path.string() + ": cannot open for writing");
  Sampler sampler(train_pool, config.seed);
  BatchLoader loader(data, sampler, config, arch.input_size, step, device.is_cuda());
  Progress progress("train " + arch.name, config.steps, " steps");
  progress.set(step);
  network->train();
  torch::Tensor running_correct =
      torch::zeros({}, torch::TensorOptions(device).dtype(torch::kInt64));
  std::int64_t running_steps = 0;
  auto window_start = std::chrono::steady_clock::now();
  const auto run_start = window_start;
  const std::int64_t first_step = step;

  while (step < config.steps && !stop_requested) {
    Batch batch = loader.take(step);
    const torch::Tensor x = batch.images.to(device, /*non_blocking=*/true);
    const torch::Tensor y = batch.labels.to(device, /*non_blocking=*/true);
    const double lr = learning_rate_at(config, step);
    set_learning_rate(optimizer, lr);
    torch::manual_seed(config.seed +
                       static_cast<std::uint64_t>(step));  // dropout masks follow the step too
    const torch::Tensor logits = network->forward(x);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    running_loss += loss.detach();
    running_correct += logits.argmax(1).eq(y).sum();
    ++running_steps;
    ++step;
    progress.set(step);

    const bool log_now = step % config.log_every == 0 || step == config.steps;
    const bool validate_now = step % config.val_every == 0 || step == config.steps;
    if (log_now || validate_now) {
      require_finite_training(running_loss, network, step, lr, saved_step, run);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      json line = {{"step", step},
                   {"loss", running_loss.item<double>() / static_cast<double>(running_steps)},
                   {"accuracy", static_cast<double>(running_correct.item<std::int64_t>()) /
                                    static_cast<double>(running_steps * config.batch)},
                   {"samples_per_s", static_cast<double>(running_steps * config.batch) / seconds},
                   {"learning_rate", lr}};
      if (validate_now && !val.empty()) {
        const Validation v = validate(network, data, val, config.normalization, device);
        line["val_accuracy"] = v.accuracy;
        line["val_loss"] = v.loss;
        metrics["last_val_accuracy"] = v.accuracy;
        if (v.accuracy > result.best_val_accuracy || result.best_step == 0) {
          result.best_val_accuracy = v.accuracy;
          result.best_step = step;
          metrics["best_val_accuracy"] = v.accuracy;
          metrics["best_step"] = step;
          save("best", false);
        }
      }
      log << json_text(line) << "\n" << std::flush;
      std::ostringstream note;
      note.precision(3);
      note << "loss " << line["loss"].get<double>() << " acc " << line["accuracy"].get<double>();
      if (line.contains("val_accuracy")) note << " val " << line["val_accuracy"].get<double>();
      progress.set_note(note.str());
      running_loss.zero_();
      running_correct.zero_();
      running_steps = 0;
      window_start = std::chrono::steady_clock::now();
    }
    if (step % config.checkpoint_every == 0) save("last", true);
  }
  progress.finish();
  result.interrupted = stop_requested && step < config.steps;
  save("last", true);
  if (result.best_step == 0)
    save("best", false);  // no validation split: the last weights are the best known

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  result.steps_done = step;
  result.samples_per_second =
      seconds > 0 ? static_cast<double>((step - first_step) * config.batch) / seconds : 0.0;
  if (result.interrupted) {
    std::cerr << "train: stopped at step " << step
              << "; checkpoint saved. Continue with --resume.\n";
  }
  return result;
}

}  // namespace facegender
