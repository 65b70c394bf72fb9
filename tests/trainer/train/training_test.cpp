// Training end to end on a small synthetic dataset: the loss falls, the
// network learns, a killed run resumes where its checkpoint left off, and
// eval / inspect read what training wrote.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/files.hpp"
#include "synthetic_data.hpp"
#include "train/checkpoint.hpp"
#include "train/trainer.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> metrics_lines(const std::string& run) {
  std::vector<json> lines;
  std::ifstream in(run + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

TrainConfig small_config(const std::string& data, const std::string& out, std::int64_t steps) {
  TrainConfig c;
  c.datasets = {data};
  c.out = out;
  c.steps = steps;
  c.batch = 16;
  c.log_every = 10;
  c.val_every = 20;
  c.checkpoint_every = 10;
  c.threads = 2;
  c.loader_threads = 1;
  c.learning_rate = 3e-3f;
  c.warmup = 5;
  return c;
}

// Runs the facegender CLI; returns its exit status (or -signal).
int run_cli(const std::vector<std::string>& args, pid_t* started = nullptr, bool wait = true) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(FACEGENDER_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stderr);
    execv(FACEGENDER_CLI, argv.data());
    _exit(127);
  }
  if (started) *started = pid;
  if (!wait) return 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class Training : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    dataset::write(testing::stripes_dataset(150, 1), *dir_ / "stripes.fgds");
    result_ = train(small_config(*dir_ / "stripes.fgds", *dir_ / "run", 60));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string data() { return *dir_ / "stripes.fgds"; }
  static std::string run() { return *dir_ / "run"; }

  static std::unique_ptr<testing::TempDir> dir_;
  static TrainResult result_;
};
std::unique_ptr<testing::TempDir> Training::dir_;
TrainResult Training::result_;

TEST_F(Training, LossFallsAndTheNetworkLearns) {
  const std::vector<json> lines = metrics_lines(run());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_GT(lines.front()["loss"].get<double>(), 1.5 * lines.back()["loss"].get<double>());
  EXPECT_EQ(result_.steps_done, 60);
  EXPECT_GE(result_.best_val_accuracy, 0.9);
  // One JSON per checkpoint, naming the one weights file it belongs to;
  // earlier weights and temporary files are gone.
  std::size_t weights_files = 0;
  for (const auto& entry : fs::directory_iterator(run())) {
    weights_files += entry.path().extension() == ".safetensors";
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(weights_files, 2u);
  for (const char* name : {"best.json", "last.json"}) {
    const json state = json::parse(read_file(run() + "/" + name));
    EXPECT_TRUE(fs::exists(run() + "/" + state.at("weights").get<std::string>())) << name;
  }
  const Checkpoint best = read_checkpoint(run());
  EXPECT_EQ(best.architecture.name, "compact");
  EXPECT_EQ(best.state["classes"], (json{"horizontal", "vertical"}));
  EXPECT_EQ(best.state["metrics"]["best_step"].get<std::int64_t>(), result_.best_step);
  for (const json& line : lines) {
    for (const char* key : {"step", "loss", "accuracy", "samples_per_s", "learning_rate"}) {
      EXPECT_TRUE(line.contains(key)) << key;
    }
  }
  EXPECT_TRUE(lines[1].contains("val_accuracy"));
}

TEST_F(Training, KilledRunResumesFromItsLastCheckpoint) {
  const std::string out = *dir_ / "killed";
  const std::vector<std::string> args = {"train",
                                         data(),
                                         "--out",
                                         out,
                                         "--steps",
                                         "60",
                                         "--batch",
                                         "16",
                                         "--checkpoint-every",
                                         "10",
                                         "--log-every",
                                         "5",
                                         "--val-every",
                                         "20",
                                         "--threads",
                                         "2",
                                         "--lr",
                                         "3e-3",
                                         "--warmup",
                                         "5"};
  pid_t pid = 0;
  run_cli(args, &pid, false);
  // kill -9 once a checkpoint past step 20 exists.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  std::int64_t checkpointed = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      checkpointed = json::parse(read_file(out + "/last.json")).value("step", std::int64_t{0});
    } catch (const std::exception&) {
    }
    if (checkpointed >= 20) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GE(checkpointed, 20) << "no checkpoint appeared";
  const Checkpoint at_kill = read_checkpoint(out + "/last.json");
  const std::int64_t resumed_from = at_kill.state["step"].get<std::int64_t>();
  ASSERT_LT(resumed_from, 60) << "the run finished before it could be killed";

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  ASSERT_EQ(run_cli(resume), 0);
  const std::vector<json> lines = metrics_lines(out);
  std::int64_t previous = 0;
  for (const json& line : lines) {
    EXPECT_GT(line["step"].get<std::int64_t>(), previous) << "steps must continue without repeats";
    previous = line["step"].get<std::int64_t>();
  }
  EXPECT_EQ(previous, 60);
  EXPECT_EQ(lines.size(), 12u);  // every 5 steps, each logged once
  EXPECT_EQ(read_checkpoint(out + "/last.json").state["step"].get<std::int64_t>(), 60);

  // Batches, augmentation and dropout follow the step, so the resumed run
  // ends where an uninterrupted one does.
  const std::string straight = *dir_ / "straight";
  std::vector<std::string> uninterrupted = args;
  uninterrupted[3] = straight;
  ASSERT_EQ(run_cli(uninterrupted), 0);
  const TensorFile a = read_checkpoint(out + "/last.json").weights;
  const TensorFile b = read_checkpoint(straight + "/last.json").weights;
  double worst = 0.0;
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind("optimizer.", 0) == 0) continue;
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      worst = std::max(worst,
                       static_cast<double>(std::abs(t.values[i] - b.tensors.at(name).values[i])));
    }
  }
  EXPECT_LT(worst, 1e-4) << "resumed and uninterrupted runs diverged";
}

TEST_F(Training, InterruptSavesAndExitsCleanly) {
  const std::string out = *dir_ / "interrupted";
  pid_t pid = 0;
  run_cli({"train", data(), "--out", out, "--steps", "1000", "--batch", "16", "--threads", "2"},
          &pid, false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  // Interrupt a run in progress: once a step has been logged.
  auto logged = [&] {
    std::error_code error;
    return fs::exists(out + "/metrics.jsonl", error) &&
           fs::file_size(out + "/metrics.jsonl", error) > 0;
  };
  while (!logged() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::int64_t step = read_checkpoint(out + "/last.json").state["step"].get<std::int64_t>();
  EXPECT_GT(step, 0);
  EXPECT_LT(step, 1000);
}

TEST_F(Training, RejectsBadInputNamingTheFile) {
  auto message_of = [](const TrainConfig& c) {
    try {
      train(c);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  dataset::PackedDataset one_class = testing::stripes_dataset(10, 2);
  for (auto& r : one_class.records) r.label = 0;
  dataset::write(one_class, *dir_ / "one.fgds");
  EXPECT_NE(message_of(small_config(*dir_ / "one.fgds", *dir_ / "r1", 5)).find("only one class"),
            std::string::npos);
  EXPECT_NE(message_of(small_config(*dir_ / "absent.fgds", *dir_ / "r2", 5)).find("absent.fgds"),
            std::string::npos);
  TrainConfig resume = small_config(data(), *dir_ / "never-ran", 5);
  resume.resume = true;
  EXPECT_NE(message_of(resume).find("no checkpoint"), std::string::npos);
  EXPECT_NE(message_of(small_config(data(), run(), 5)).find("--resume"), std::string::npos);
  fs::create_directories(*dir_ / "corrupt");
  write_file_atomically(*dir_ / "corrupt/last.json", "{ not json");
  TrainConfig corrupt = small_config(data(), *dir_ / "corrupt", 5);
  corrupt.resume = true;
  EXPECT_NE(message_of(corrupt).find("last.json"), std::string::npos);
}

TEST_F(Training, EvalAndInspectReadTheRun) {
  const std::string report = *dir_ / "report";
  ASSERT_EQ(run_cli({"eval", run(), "--data", data(), "--out", report}), 0);
  const json eval = json::parse(read_file(report + "/eval.json"));
  EXPECT_GE(eval["overall"]["accuracy"].get<double>(), 0.9);
  EXPECT_EQ(eval["overall"]["confusion_matrix"].size(), 2u);
  EXPECT_FALSE(eval["by_age"].empty());
  EXPECT_FALSE(eval["by_race_gender_adults"].empty());
  EXPECT_GT(eval["eval_only"]["count"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(report + "/eval.md"));
  EXPECT_GT(fs::file_size(report + "/mistakes.png"), 0u);
  ASSERT_EQ(run_cli({"inspect", "curves", run(), "--out", *dir_ / "curves.png"}), 0);
  EXPECT_GT(fs::file_size(*dir_ / "curves.png"), 1000u);
  EXPECT_NE(run_cli({"eval", *dir_ / "nowhere", "--data", data()}), 0);
}

// Regression: --lr 1e30 exited 0 with "loss":null in the log. A diverged
// run now stops with an error, and the checkpoint before it stays usable.
TEST_F(Training, DivergingRunStopsAndKeepsTheLastGoodCheckpoint) {
  const std::string out = *dir_ / "diverged";
  TrainConfig good = small_config(data(), out, 20);
  train(good);
  TrainConfig wild = small_config(data(), out, 60);
  wild.resume = true;
  wild.learning_rate = 1e30f;
  wild.schedule = "constant";
  std::string message;
  try {
    train(wild);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("diverged"), std::string::npos) << message;
  EXPECT_NE(message.find("step 20"), std::string::npos) << message;
  const Checkpoint kept = read_checkpoint(out + "/last.json");
  EXPECT_EQ(kept.state["step"].get<std::int64_t>(), 20);
  for (const json& line : metrics_lines(out)) EXPECT_TRUE(line["loss"].is_number()) << line;
  // The binary exits non-zero.
  EXPECT_NE(run_cli({"train", data(), "--out", *dir_ / "diverged-cli", "--steps", "30", "--batch",
                     "16", "--lr", "1e30", "--schedule", "constant", "--log-every", "10"}),
            0);
}

// A checkpoint whose weights hold NaN, written by hand (write_checkpoint
// refuses them), as an older build's diverged run left them.
std::string nan_checkpoint(const std::string& from, const std::string& dir) {
  Checkpoint checkpoint = read_checkpoint(from);
  checkpoint.weights.tensors.begin()->second.values[0] = NAN;
  fs::create_directories(dir);
  write_safetensors(checkpoint.weights, dir + "/best.safetensors");
  json state = checkpoint.state;
  state.erase("weights_fnv1a64");
  state["weights"] = "best.safetensors";
  write_file_atomically(dir + "/best.json", state.dump());
  return dir + "/best.json";
}

// Regression: eval of NaN weights spun forever and export wrote the NaN
// model with a "parity difference of 0".
TEST_F(Training, EvalAndExportRefuseNonFiniteWeights) {
  const std::string broken = nan_checkpoint(run(), *dir_ / "nan");
  try {
    read_checkpoint(broken);
    ADD_FAILURE() << "NaN weights accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  EXPECT_NE(run_cli({"eval", broken, "--data", data(), "--out", *dir_ / "nan-eval"}), 0);
  EXPECT_NE(run_cli({"export", broken, "--out", *dir_ / "nan.onnx"}), 0);
  EXPECT_FALSE(fs::exists(*dir_ / "nan.onnx"));
  Checkpoint finite = read_checkpoint(run());
  finite.weights.tensors.begin()->second.values[0] = INFINITY;
  EXPECT_THROW(write_checkpoint(finite, *dir_ / "inf", "best"), std::runtime_error);
}

// Regression: a kill between the two renames left last.json at step 10
// beside step-20 weights, and --resume went on with them silently.
TEST_F(Training, CheckpointPiecesThatDoNotBelongTogetherAreRefused) {
  const std::string dir = *dir_ / "pieces";
  Checkpoint checkpoint = read_checkpoint(run() + "/last.json");
  checkpoint.state["step"] = 10;
  write_checkpoint(checkpoint, dir, "last");
  const json at_10 = json::parse(read_file(dir + "/last.json"));
  // Other weights under the name the JSON gives: what the old layout could leave.
  Checkpoint other = checkpoint;
  other.weights.tensors.begin()->second.values[0] += 1.0f;
  write_safetensors(other.weights, dir + "/" + at_10["weights"].get<std::string>());
  try {
    read_checkpoint(dir + "/last.json");
    ADD_FAILURE() << "mismatched weights accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not the weights file"), std::string::npos) << e.what();
  }
  // A new save switches atomically and clears what a killed writer left.
  write_file_atomically(dir + "/stray", "x");
  fs::rename(dir + "/stray", dir + "/last.json.tmp-999-0");
  checkpoint.state["step"] = 20;
  write_checkpoint(checkpoint, dir, "last");
  EXPECT_EQ(read_checkpoint(dir + "/last.json").state["step"], 20);
  EXPECT_FALSE(fs::exists(dir + "/last.json.tmp-999-0"));
  EXPECT_FALSE(fs::exists(dir + "/" + at_10["weights"].get<std::string>()));
  // The weights file can be named instead of its JSON.
  const json at_20 = json::parse(read_file(dir + "/last.json"));
  EXPECT_EQ(read_checkpoint(dir + "/" + at_20["weights"].get<std::string>()).state["step"], 20);
}

// The recipe the shipped model uses: two datasets drawn in balance, the
// similarity and photometric augmentations, label smoothing and a weight
// average. The best checkpoint holds the average, the last one the raw
// weights with the average beside them, and a resumed run picks both up.
// calibrate then fits a temperature that eval reports and export stores.
TEST_F(Training, AnAgeHeadTrainsBesideTheClassesResumesAndStaysOutOfTheExport) {
  const std::string out = *dir_ / "age";
  TrainConfig c = small_config(data(), out, 30);
  c.age_weight = 0.5;
  EXPECT_GE(train(c).best_val_accuracy, 0.9);
  const Checkpoint last = read_checkpoint(out + "/last.json");
  EXPECT_EQ(last.architecture.age_bands, 6);
  EXPECT_EQ(last.state["config"]["age_weight"].get<double>(), 0.5);
  EXPECT_EQ(last.weights.tensors.at("age_head.bias").shape, (std::vector<std::int64_t>{6}));
  c.steps = 40;
  c.resume = true;
  EXPECT_EQ(train(c).steps_done, 40);
  ASSERT_EQ(run_cli({"export", out, "--out", *dir_ / "age.onnx"}), 0);
  EXPECT_EQ(read_file(*dir_ / "age.onnx").find("age_head"), std::string::npos);
}

// The teacher's outputs, not the labels, are what a distilled student
// learns at --distill-weight 1: on stripes whose labels are swapped, it ends
// up agreeing with the teacher (trained on the true labels) and so scores
// near 0% against the swapped ones; learning nothing would give ~50%.
TEST_F(Training, AStudentFollowsItsTeacherOverTheLabels) {
  dataset::PackedDataset swapped = testing::stripes_dataset(150, 1);
  for (dataset::Record& r : swapped.records) r.label = 1 - r.label;
  dataset::write(swapped, *dir_ / "swapped.fgds");
  const std::string out = *dir_ / "student";
  TrainConfig c = small_config(*dir_ / "swapped.fgds", out, 60);
  c.ema_decay = 0;  // judge the weights the loss moved
  c.teacher = run();
  c.distill_weight = 1.0;
  train(c);
  const std::vector<json> lines = metrics_lines(out);
  ASSERT_TRUE(lines.back().contains("val_accuracy"));
  EXPECT_LE(lines.back()["val_accuracy"].get<double>(), 0.1);
  const Checkpoint last = read_checkpoint(out + "/last.json");
  EXPECT_EQ(last.state["config"]["teacher"], run());
  EXPECT_EQ(last.state["config"]["distill_weight"].get<double>(), 1.0);

  // A teacher that saw other crops would teach the wrong thing: refused.
  dataset::PackedDataset other = testing::stripes_dataset(20, 6);
  other.provenance["options"]["model_crop"] = {{"kind", "aligned"}};
  dataset::write(other, *dir_ / "other-crop-student.fgds");
  TrainConfig mismatched = small_config(*dir_ / "other-crop-student.fgds", *dir_ / "m", 5);
  mismatched.teacher = run();
  try {
    train(mismatched);
    FAIL() << "a teacher of another crop was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(run()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("crop"), std::string::npos) << e.what();
  }
}

TEST_F(Training, TheFullRecipeTrainsOnTwoDatasetsCalibratesAndResumes) {
  const std::string second = *dir_ / "stripes-b.fgds";
  dataset::write(testing::stripes_dataset(80, 5), second);
  const std::string out = *dir_ / "recipe";
  TrainConfig c = small_config(data(), out, 40);
  c.datasets = {data(), second};
  // The recipe is the default (augmentation, label smoothing, balance); only
  // the average decays faster, to matter within 40 steps.
  c.ema_decay = 0.99;
  const TrainResult first = train(c);
  EXPECT_GE(first.best_val_accuracy, 0.9);
  const json best = json::parse(read_file(out + "/best.json"));
  EXPECT_EQ(best["weight_kind"], "average") << best.dump();
  EXPECT_EQ(best["data"]["datasets"].size(), 2u);
  const Checkpoint last = read_checkpoint(out + "/last.json");
  EXPECT_EQ(last.state["weight_kind"], "raw");
  EXPECT_TRUE(last.weights.tensors.count("ema.classifier.weight") != 0 ||
              std::any_of(last.weights.tensors.begin(), last.weights.tensors.end(),
                          [](const auto& t) { return t.first.starts_with("ema."); }));
  c.steps = 60;
  c.resume = true;
  const TrainResult resumed = train(c);
  EXPECT_EQ(resumed.steps_done, 60);

  ASSERT_EQ(run_cli({"calibrate", out, "--data", data(), "--data", second}), 0);
  const json calibration = json::parse(read_file(out + "/calibration.json"));
  const double t = calibration["temperature"].get<double>();
  EXPECT_TRUE(t > 0.05 && t < 20) << t;
  ASSERT_EQ(run_cli({"eval", out, "--data", data(), "--split", "val", "--out",
                     *dir_ / "recipe-eval", "--flip"}),
            0);
  const json eval = json::parse(read_file(*dir_ / "recipe-eval/eval.json"));
  EXPECT_DOUBLE_EQ(eval["temperature"].get<double>(), t);
  EXPECT_TRUE(eval["flip_average"].get<bool>());
  const std::string mistakes = read_file(*dir_ / "recipe-eval/mistakes.csv");
  EXPECT_EQ(mistakes.rfind("tile,sha256,source,label,predicted,confidence\n", 0), 0u) << mistakes;
  ASSERT_EQ(run_cli({"export", out, "--out", *dir_ / "recipe.onnx"}), 0);
  const std::string onnx = read_file(*dir_ / "recipe.onnx");
  EXPECT_NE(onnx.find("temperature"), std::string::npos);

  // Two datasets that were cut differently cannot be trained on together.
  dataset::PackedDataset other = testing::stripes_dataset(20, 6);
  other.provenance["options"]["model_crop"] = {{"kind", "aligned"}};
  dataset::write(other, *dir_ / "other-crop.fgds");
  TrainConfig mixed = small_config(data(), *dir_ / "mixed", 5);
  mixed.datasets = {data(), *dir_ / "other-crop.fgds"};
  EXPECT_THROW(train(mixed), std::runtime_error);
}

}  // namespace
}  // namespace facegender
