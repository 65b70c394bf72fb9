// The bad-input corpus: every kind of broken input the reliability audit
// tried (images, special files, labels CSVs, datasets, checkpoints, models),
// generated here and run through the real `facegender` binary. Each entry
// must end in bounded time without a crash, fail with an error that names
// the file (or succeed, where the input is merely odd), leave the good input
// beside it processed, and leave every input byte for byte as it was.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "../export/export_support.hpp"
#include "../train/synthetic_data.hpp"
#include "common/files.hpp"
#include "common/safetensors.hpp"
#include "dataset/packed_dataset.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kTimeLimit = std::chrono::seconds(30);  // the slowest good run takes ~3 s

struct RunResult {
  bool crashed = false;  // killed by a signal of its own
  bool hung = false;     // still running at kTimeLimit
  int status = -1;
  std::string output;  // stdout and stderr
};

// The binary under test: this build's, or FACEGENDER_CORPUS_CLI (to show
// what an older build did with the same corpus).
const char* cli_under_test() {
  const char* other = std::getenv("FACEGENDER_CORPUS_CLI");
  return other != nullptr ? other : FACEGENDER_CLI;
}

// Runs the binary with stdout and stderr in one file, killed at kTimeLimit.
RunResult run_binary(const std::vector<std::string>& args, const std::string& log) {
  const char* cli = cli_under_test();
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(cli)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
    execv(cli, argv.data());
    _exit(127);
  }
  RunResult run;
  const auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      run.hung = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!run.hung && WIFSIGNALED(status)) run.crashed = true;
  if (WIFEXITED(status)) run.status = WEXITSTATUS(status);
  std::ifstream in(log, std::ios::binary);
  run.output.assign(std::istreambuf_iterator<char>(in), {});
  return run;
}

struct Entry {
  std::string kind;  // image, csv, dataset, checkpoint, model
  std::string name;
  std::vector<std::string> args;
  std::string named;             // the error must contain this (the bad file)
  bool should_fail = true;       // false: odd but usable input
  std::string good_photo;        // classify: this photo's line must have faces
  std::string must_not_exist;    // an output that a refused run must not leave
  bool refused_at_load = false;  // a model: refused before any photo is read
};

// Everything under the corpus folder, by path: its bytes (regular files
// only), so a run that modifies an input is caught.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_symlink(error) || !it->is_regular_file(error)) continue;
    if (it->path().string().find("/out/") != std::string::npos) continue;
    files[it->path().string()] = read_file(it->path().string());
  }
  return files;
}

class Corpus {
 public:
  explicit Corpus(const fs::path& root) : root_(root) {
    fs::create_directories(root_ / "out");
    good_photo_ = file("good.jpg", read_file(testing::dlib_photo("2008_002470.jpg")));
  }

  std::string file(const std::string& name, const std::string& bytes) {
    const std::string path = (root_ / name).string();
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string out(const std::string& name) const { return (root_ / "out" / name).string(); }
  const std::string& good_photo() const { return good_photo_; }
  const fs::path& root() const { return root_; }

  void add_photo(const std::string& name, const std::string& path, bool should_fail = true) {
    entries.push_back({"image",
                       name,
                       {"classify", "--json", path, good_photo_},
                       path,
                       should_fail,
                       good_photo_,
                       ""});
  }
  void add_csv(const std::string& name, const std::string& text) {
    const std::string csv = file("csv/" + name + ".csv", text);
    const std::string dataset = out(name + ".fgds");
    // Faces of any size, so a CSV that is only wrong in one way would go
    // through and must be refused for that one thing.
    entries.push_back({"csv",
                       name,
                       {"prepare", "--labels", csv, "--min-face", "0", "--out", dataset},
                       csv,
                       true,
                       "",
                       dataset});
  }
  void add_dataset(const std::string& name, const std::string& bytes) {
    const std::string data = file("data/" + name + ".fgds", bytes);
    entries.push_back({"dataset",
                       name,
                       {"train", data, "--out", out("run-" + name), "--steps", "1", "--batch", "4"},
                       data,
                       true,
                       "",
                       out("run-" + name) + "/last.json"});
  }
  void add_checkpoint(const std::string& name, const std::string& json_path) {
    const std::string onnx = out(name + ".onnx");
    entries.push_back(
        {"checkpoint", name, {"export", json_path, "--out", onnx}, json_path, true, "", onnx});
  }
  void add_model(const std::string& name, const std::string& model) {
    entries.push_back({"model",
                       name,
                       {"classify", "--json", "--model", model, good_photo_},
                       model,
                       true,
                       "",
                       "",
                       true});
  }

  std::vector<Entry> entries;

 private:
  fs::path root_;
  std::string good_photo_;
};

std::string half(const std::string& bytes) {
  return bytes.substr(0, bytes.size() / 2);
}

// The JPEG's SOF0 frame header claims `side` x `side` pixels.
std::string jpeg_claiming(std::string jpeg, std::uint16_t side) {
  const auto sof = jpeg.find("\xFF\xC0");
  for (std::size_t at : {sof + 5, sof + 7}) {
    jpeg[at] = static_cast<char>(side >> 8);
    jpeg[at + 1] = static_cast<char>(side & 0xFF);
  }
  return jpeg;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

void add_photos(Corpus& c) {
  const std::string jpeg = read_file(c.good_photo());
  c.add_photo("empty file", c.file("img/empty.jpg", ""));
  c.add_photo("text named .jpg", c.file("img/notes.jpg", "not an image\n"));
  c.add_photo("truncated JPEG", c.file("img/truncated.jpg", half(jpeg)));
  c.add_photo("JPEG magic then noise",
              c.file("img/noise.jpg", "\xFF\xD8\xFF" + random_bytes(5000, 1)));
  c.add_photo("decompression bomb header", c.file("img/bomb.jpg", jpeg_claiming(jpeg, 65000)));
  c.add_photo("GIF", c.file("img/anim.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;"));
  c.add_photo("BMP with a broken header", c.file("img/broken.bmp", "BM" + random_bytes(60, 2)));
  c.add_photo("device", "/dev/zero");
  const std::string fifo = (c.root() / "img/pipe.jpg").string();
  ::mkfifo(fifo.c_str(), 0600);
  c.add_photo("FIFO", fifo);
  fs::create_directories(c.root() / "img/folder.jpg");
  // A folder is walked for photos like any folder argument: none here.
  c.add_photo("folder named .jpg", (c.root() / "img/folder.jpg").string(), false);
  fs::create_symlink("loop.jpg", c.root() / "img/loop.jpg");
  c.add_photo("symbolic link loop", (c.root() / "img/loop.jpg").string());
  fs::create_symlink("gone.jpg", c.root() / "img/dangling.jpg");
  c.add_photo("dangling link", (c.root() / "img/dangling.jpg").string());
  c.add_photo("missing file", (c.root() / "img/absent.jpg").string());
  c.add_photo("file name not UTF-8", c.file("img/caf\xe9.jpg", jpeg), false);
  // Drawings that would replace an input: refused, the input untouched.
  const std::string png = c.file("annotate/photo.png", read_file(c.good_photo()));
  c.entries.push_back({"image",
                       "annotate into the inputs' folder",
                       {"classify", "--annotate", (c.root() / "annotate").string(), png},
                       png,
                       true,
                       "",
                       ""});
  const std::string self = c.file("annotate/self.jpg", jpeg);
  c.entries.push_back({"image",
                       "annotate onto the input",
                       {"classify", "--annotate", self, self},
                       self,
                       true,
                       "",
                       ""});
}

void add_csvs(Corpus& c) {
  const std::string jpeg = read_file(c.good_photo());
  c.file("csv/a.jpg", jpeg);
  c.file("outside.jpg", jpeg + "outside");
  // Distinct files (bytes after the JPEG's end) in both classes: a usable set.
  std::string usable = "path,gender\n";
  for (int i = 0; i < 30; ++i) {
    const std::string name = std::string("p").append(std::to_string(i)).append(".jpg");
    c.file("csv/" + name, jpeg + std::string(static_cast<std::size_t>(i) + 1, 'x'));
    usable.append(name).append(i % 2 ? ",1\n" : ",0\n");
  }
  c.add_csv("empty", "");
  c.add_csv("header only", "path,gender\n");
  c.add_csv("no path column", "file,gender\na.jpg,0\n");
  c.add_csv("unterminated quote", "path,gender\n\"a.jpg,0\n");
  c.add_csv("path climbing out", usable + "../outside.jpg,0\n");
  c.add_csv("absolute path", usable + (c.root() / "outside.jpg").string() + ",1\n");
  c.add_csv("label typo", usable + "a.jpg,x\n");
  // A seed-layout folder whose one symbolic link loop must not stop the run.
  for (int i = 0; i < 6; ++i) {
    c.file("layout/Train/" + std::to_string(i % 2) + "/f" + std::to_string(i) + ".jpg",
           jpeg + std::string(static_cast<std::size_t>(i) + 40, 'y'));
  }
  fs::create_symlink("loop.jpg", c.root() / "layout/Train/0/loop.jpg");
  c.entries.push_back({"csv",
                       "prepare folder with a link loop",
                       {"prepare", (c.root() / "layout").string(), "--min-face", "0", "--out",
                        c.out("layout.fgds")},
                       "",
                       false,
                       "",
                       ""});
  const std::string rows = usable.substr(usable.find('\n') + 1);
  c.add_csv("label on under 1% of rows", usable + rows + rows + rows + "a.jpg,2\n");
  c.add_csv("binary garbage", random_bytes(4096, 3));
  c.add_csv("NUL bytes", std::string("path,gender\na.jpg\0,0\n", 21));
  c.add_csv("huge field", "path,gender\n" + std::string(1 << 20, 'a') + ".jpg,0\n");
}

std::string real_dataset(const fs::path& root) {
  const std::string path = (root / "data/good.fgds").string();
  fs::create_directories(root / "data");
  dataset::write(testing::stripes_dataset(8, 1), path);
  return read_file(path);
}

void add_datasets(Corpus& c) {
  const std::string good = real_dataset(c.root());
  c.add_dataset("empty", "");
  c.add_dataset("truncated", half(good));
  c.add_dataset("wrong magic", "XXXX" + good.substr(4));
  c.add_dataset("random bytes", random_bytes(10000, 4));
  c.add_dataset("header only", good.substr(0, 64));
  // Good data, a learning rate that makes the run diverge.
  c.entries.push_back(
      {"dataset",
       "diverging learning rate",
       {"train", (c.root() / "data/good.fgds").string(), "--out", c.out("run-wild"), "--steps",
        "30", "--batch", "8", "--lr", "1e30", "--schedule", "constant", "--log-every", "10"},
       "diverged",
       true,
       "",
       ""});
}

void add_checkpoints(Corpus& c) {
  const fs::path dir = c.root() / "ckpt";
  const std::string good_json = testing::write_test_checkpoint((dir / "good").string(), "compact");
  const json state = json::parse(read_file(good_json));
  const std::string weights = (dir / "good" / state["weights"].get<std::string>()).string();
  auto variant = [&](const std::string& name, const json& new_state, const std::string& bytes) {
    fs::create_directories(dir / name);
    std::ofstream(dir / name / "w.safetensors", std::ios::binary) << bytes;
    json s = new_state;
    s["weights"] = "w.safetensors";
    std::ofstream(dir / name / "best.json") << s.dump();
    c.add_checkpoint(name, (dir / name / "best.json").string());
    c.entries.back().named = (dir / name).string();  // the JSON or its weights file
  };
  json no_hash = state;
  no_hash.erase("weights_fnv1a64");
  variant("weights truncated", no_hash, half(read_file(weights)));
  variant("weights of another run", state, read_file(weights) + " ");
  std::string huge_header = read_file(weights);
  huge_header.replace(0, 8, std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x7F", 8));
  variant("header length overflow", no_hash, huge_header);
  TensorFile nan_weights = read_safetensors(weights);
  nan_weights.tensors.begin()->second.values[0] = std::numeric_limits<float>::quiet_NaN();
  write_safetensors(nan_weights, (dir / "nan.safetensors").string());
  variant("NaN weights", no_hash, read_file((dir / "nan.safetensors").string()));
  // eval of these weights once spun forever.
  c.entries.push_back({"checkpoint",
                       "NaN weights, eval",
                       {"eval", (dir / "NaN weights/best.json").string(), "--data",
                        (c.root() / "data/good.fgds").string(), "--out", c.out("eval-nan")},
                       (dir / "NaN weights").string(),
                       true,
                       "",
                       c.out("eval-nan") + "/eval.json"});
  json no_architecture = no_hash;
  no_architecture.erase("architecture");
  variant("no architecture", no_architecture, read_file(weights));
  json escaping = state;
  escaping["weights"] = "../../../etc/hostname";
  fs::create_directories(dir / "escaping");
  std::ofstream(dir / "escaping/best.json") << escaping.dump();
  c.add_checkpoint("weights path escaping", (dir / "escaping/best.json").string());
  c.add_checkpoint("JSON garbage", c.file("ckpt/garbage/best.json", "{ not json"));
  c.add_checkpoint("missing", (dir / "nowhere/best.json").string());
}

void add_models(Corpus& c) {
  const std::string model = read_file(testing::shared_compact_model());
  c.add_model("empty", c.file("models/empty.onnx", ""));
  c.add_model("garbage", c.file("models/garbage.onnx", random_bytes(3000, 5)));
  c.add_model("truncated", c.file("models/half.onnx", half(model)));
  onnx::ModelProto proto;
  proto.ParseFromString(model);
  onnx::ModelProto bare = proto;
  bare.clear_metadata_props();
  c.add_model("no metadata", c.file("models/bare.onnx", bare.SerializeAsString()));
  onnx::ModelProto three = proto;
  for (auto& entry : *three.mutable_metadata_props()) {
    if (entry.key() == "class_names") entry.set_value(R"(["a","b","c"])");
  }
  c.add_model("more classes than outputs", c.file("models/three.onnx", three.SerializeAsString()));
  // The network's logits under a name that says neither (Softmax made an
  // Identity): read as probabilities, they once gave "female 9.39%".
  onnx::ModelProto unnamed = proto;
  for (onnx::NodeProto& node : *unnamed.mutable_graph()->mutable_node()) {
    if (node.op_type() != "Softmax") continue;
    node.set_op_type("Identity");
    node.clear_attribute();
    node.set_output(0, "scores");
  }
  unnamed.mutable_graph()->mutable_output(0)->set_name("scores");
  c.add_model("output neither probabilities nor logits",
              c.file("models/unnamed.onnx", unnamed.SerializeAsString()));
  fs::create_directories(c.root() / "models/folder.onnx");
  c.add_model("folder", (c.root() / "models/folder.onnx").string());
}

// What one entry did wrong, or "" when it behaved.
std::string judge(const Entry& entry, const RunResult& run) {
  if (run.hung) return "hung (killed after the time limit)";
  if (run.crashed) return "crashed";
  if (entry.should_fail && run.status == 0) return "succeeded on bad input";
  if (entry.should_fail && run.status != 1) return "exit status " + std::to_string(run.status);
  if (!entry.should_fail && entry.kind != "image" && run.status != 0) return "failed on good input";
  if (entry.should_fail && run.output.find(entry.named) == std::string::npos)
    return "its error does not name " + entry.named;
  if (entry.refused_at_load && run.output.find("{\"file\":") != std::string::npos)
    return "refused per photo, not at load";
  if (!entry.must_not_exist.empty() && fs::exists(entry.must_not_exist))
    return "left " + entry.must_not_exist + " behind";
  if (!entry.good_photo.empty()) {
    // The good photo's line: the run went on past the bad file.
    const auto line = run.output.find("{\"file\":\"" + entry.good_photo + "\"");
    if (line == std::string::npos || run.output.find("\"faces\":[{", line) == std::string::npos)
      return "the good photo after it was not classified";
  }
  return "";
}

TEST(BadInputCorpus, NoCrashNoHangClearErrorsAndInputsUntouched) {
  testing::TempDir dir;
  Corpus corpus(dir.path() / "corpus");
  add_photos(corpus);
  add_csvs(corpus);
  add_datasets(corpus);
  add_checkpoints(corpus);
  add_models(corpus);
  const std::map<std::string, std::string> before = snapshot(corpus.root());

  std::map<std::string, int> per_kind;
  int crashes = 0, hangs = 0, unclear = 0;
  for (std::size_t i = 0; i < corpus.entries.size(); ++i) {
    const Entry& entry = corpus.entries[i];
    const RunResult run = run_binary(entry.args, corpus.out("log-" + std::to_string(i) + ".txt"));
    ++per_kind[entry.kind];
    crashes += run.crashed;
    hangs += run.hung;
    const std::string problem = judge(entry, run);
    if (!problem.empty() && !run.crashed && !run.hung) ++unclear;
    EXPECT_EQ(problem, "") << entry.kind << " / " << entry.name << ":\n" << run.output;
  }
  int modified = 0;
  for (const auto& [path, bytes] : snapshot(corpus.root())) {
    const auto old = before.find(path);
    if (old != before.end() && old->second != bytes) {
      ++modified;
      ADD_FAILURE() << path << " was modified";
    }
  }
  for (const auto& [path, bytes] : before) {
    if (!fs::exists(path)) {
      ++modified;
      ADD_FAILURE() << path << " was removed";
    }
  }
  // The figures the reliability issue asks for.
  std::string kinds;
  for (const auto& [kind, count] : per_kind)
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  std::cout << "bad-input corpus: " << corpus.entries.size() << " inputs (" << kinds
            << "); crashes " << crashes << ", hangs " << hangs << ", inputs modified " << modified
            << ", unclear or wrong outcomes " << unclear << "\n";
}

}  // namespace
}  // namespace facegender
