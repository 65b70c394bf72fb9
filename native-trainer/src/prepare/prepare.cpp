#include "prepare/prepare.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>

#include "common/files.hpp"
#include "common/progress.hpp"
#include "facegender/postprocess.hpp"
#include "prepare/corrections.hpp"
#include "prepare/report.hpp"
#include "prepare/sha256.hpp"

namespace facegender::prepare {
namespace fs = std::filesystem;
namespace {

// What became of one input.
struct Outcome {
  std::string sha256;  // empty when the file was never read
  std::optional<Reason> skip;
  std::string detail;
  FaceCrop crop;
};

// The reason a file cannot be read, from stat's error: a loop or a folder
// that cannot be searched is not a missing file.
[[noreturn]] void skip_unstattable(int error) {
  if (error == ENOENT || error == ENOTDIR) throw SkipImage(Reason::MissingFile, "file not found");
  if (error == ELOOP) throw SkipImage(Reason::ReadError, "symbolic link loop");
  if (error == EACCES) {
    throw SkipImage(Reason::ReadError,
                    "permission denied (a folder on its path cannot be searched)");
  }
  throw SkipImage(Reason::ReadError, std::string("cannot read: ") + std::strerror(error));
}

std::vector<std::uint8_t> read_image_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) skip_unstattable(errno);
  if (!S_ISREG(info.st_mode)) {
    throw SkipImage(Reason::ReadError, S_ISDIR(info.st_mode) ? "a folder, not a file"
                                                             : "not a regular file (a device, "
                                                               "FIFO or socket)");
  }
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::runtime_error& e) {
    throw SkipImage(Reason::ReadError, e.what());
  }
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

void run_pipeline(const InputItem& item, const FaceExtractor& extractor, Outcome& outcome) {
  const std::vector<std::uint8_t> bytes = read_image_file(item.path);
  if (bytes.empty()) throw SkipImage(Reason::EmptyFile, "empty file (0 bytes)");
  outcome.sha256 = sha256_hex(bytes);
  if (!item.expected_sha256.empty() && item.expected_sha256 != outcome.sha256) {
    throw SkipImage(
        Reason::ChecksumMismatch,
        "SHA-256 " + outcome.sha256 + " differs from the CSV's " + item.expected_sha256);
  }
  outcome.crop = extractor.extract(bytes);
  check_pose(outcome.crop, extractor.options());
}

// Every failure of one image becomes a counted skip; only running out of
// memory stops the run.
Outcome process_item(const InputItem& item, const FaceExtractor& extractor) {
  Outcome outcome;
  if (item.problem) {
    outcome.skip = item.problem;
    outcome.detail = item.problem_detail;
    return outcome;
  }
  try {
    run_pipeline(item, extractor, outcome);
  } catch (const SkipImage& e) {
    outcome.skip = e.reason();
    outcome.detail = e.what();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    outcome.skip = Reason::DecodeFailed;
    outcome.detail = std::string("unexpected error: ") + e.what();
  }
  return outcome;
}

// Workers take the next item from a shared counter; each result goes to the
// item's own slot, so the output order never depends on the thread count.
std::vector<Outcome> process_all(const std::vector<InputItem>& items,
                                 const FaceExtractor& extractor, int threads, bool show_progress) {
  std::vector<Outcome> outcomes(items.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < items.size() && !stop; i = next++) {
      try {
        outcomes[i] = process_item(items[i], extractor);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
      ++done;
    }
  };
  std::optional<Progress> progress;
  if (show_progress) progress.emplace("prepare", static_cast<std::int64_t>(items.size()), " img");
  {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    while (done < items.size() && !stop) {
      if (progress) progress->set(static_cast<std::int64_t>(done.load()));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (progress) {
    progress->set(static_cast<std::int64_t>(items.size()));
    progress->finish();
  }
  return outcomes;
}

// Byte-identical files are one image: keep the first copy (by source path)
// when all copies agree on the label, drop every copy when they do not.
void resolve_duplicates(const std::vector<InputItem>& items, std::vector<Outcome>& outcomes) {
  std::map<std::string, std::vector<std::size_t>> by_hash;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (outcomes[i].sha256.empty() || outcomes[i].skip == Reason::ChecksumMismatch) continue;
    by_hash[outcomes[i].sha256].push_back(i);
  }
  for (const auto& [hash, copies] : by_hash) {
    if (copies.size() < 2) continue;
    std::set<std::pair<int, bool>> labels;
    for (std::size_t i : copies) labels.emplace(items[i].label, items[i].eval_only);
    const bool conflict = labels.size() > 1;
    for (std::size_t k = conflict ? 0 : 1; k < copies.size(); ++k) {
      Outcome& outcome = outcomes[copies[k]];
      outcome.skip = conflict ? Reason::LabelConflict : Reason::Duplicate;
      outcome.detail = conflict
                           ? "byte-identical copies carry different labels (SHA-256 " + hash + ")"
                           : "byte-identical to " + items[copies.front()].source;
    }
  }
}

std::string class_name(const InputItem& item, const std::vector<std::string>& classes) {
  if (item.problem) return kUnknownClass;
  if (item.label < 0) return kNoClass;
  return classes[static_cast<std::size_t>(item.label)];
}

struct Percentiles {
  std::vector<double> values;
  nlohmann::json to_json() {
    if (values.empty()) return nullptr;
    std::sort(values.begin(), values.end());
    auto at = [&](double q) {
      const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
      return std::round(values[index] * 10.0) / 10.0;
    };
    return {{"p5", at(0.05)},
            {"p25", at(0.25)},
            {"p50", at(0.5)},
            {"p75", at(0.75)},
            {"p95", at(0.95)}};
  }
};

// Yaw, pitch and roll of every face whose pose was measured (kept or not):
// what the limits cut.
nlohmann::json pose_summary(const std::vector<Outcome>& outcomes) {
  Percentiles yaw, pitch, roll;
  std::int64_t from_eyes = 0;
  std::int64_t from_landmarks = 0;
  for (const Outcome& outcome : outcomes) {
    if (!outcome.crop.pose) continue;
    yaw.values.push_back(outcome.crop.pose->yaw);
    pitch.values.push_back(outcome.crop.pose->pitch);
    roll.values.push_back(outcome.crop.pose->roll);
    (outcome.crop.roll_source == RollSource::EyeCascade ? from_eyes : from_landmarks) += 1;
  }
  return {{"measured", yaw.values.size()},         {"roll_from_eye_cascade", from_eyes},
          {"roll_from_landmarks", from_landmarks}, {"yaw_degrees", yaw.to_json()},
          {"pitch_degrees", pitch.to_json()},      {"roll_degrees", roll.to_json()}};
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

nlohmann::json provenance(const PrepareOptions& options, const InputSet& inputs) {
  const FaceOptions& face = options.face;
  nlohmann::json settings = {{"detector", face.detector},
                             {"cascades", face.cascade_dir},
                             {"pad", face.search.pad_fraction},
                             {"scale_factor", face.search.detect.scale_factor},
                             {"min_neighbors", face.search.detect.min_neighbors},
                             {"max_side", face.search.max_side},
                             {"margin", face.geometry.margin},
                             {"crop_size", face.geometry.size},
                             {"min_face", face.min_face},
                             {"no_face", face.center_when_no_face ? "center" : "drop"},
                             {"max_pixels", face.max_pixels},
                             {"pose_filter", face.pose_filter}};
  if (!options.corrections.empty()) settings["corrections"] = options.corrections;
  if (face.detector == "blazeface") {
    settings["detectors"] = face.detector_dir;
    settings["scene"] = to_string(face.scene);
    if (face.crop.kind == CropKind::Aligned) {
      settings["crop"] = {{"kind", "aligned"},
                          {"scale", face.crop.aligned.scale},
                          {"shift", face.crop.aligned.shift},
                          {"size", face.crop.aligned.size}};
      // What a model trained on the centre input x input of these crops
      // must put in its "crop" metadata.
      settings["model_crop"] = {
          {"kind", "aligned"},
          {"scale", face.crop.aligned.scale * face.geometry.input / face.geometry.size},
          {"shift", face.crop.aligned.shift},
          {"size", face.geometry.input}};
    } else {
      settings["crop"] = {
          {"kind", "box"}, {"margin", face.geometry.margin}, {"size", face.geometry.size}};
    }
  }
  if (face.pose_filter) {
    settings["max_yaw"] = face.max_yaw;
    settings["max_pitch"] = face.max_pitch;
    settings["max_roll"] = face.max_roll;
    settings["landmarks"] = face.landmarks;
  }
  if (!options.csv.path.empty()) {
    settings["label_column"] = options.csv.label_column;
    if (options.csv.ambiguous_label) settings["ambiguous_label"] = *options.csv.ambiguous_label;
  }
  return {{"tool", "facegender prepare"},
          {"core_version", std::string(core_version())},
          {"input", options.csv.path.empty() ? options.input_dir : options.csv.path},
          {"layout", inputs.kind},
          {"split_rule",
           "sha256[0:8] % 10: 0 test, 1 val, else train; Train/ folder: 1 val, else "
           "train; Eval/ and eval-only: test"},
          {"created", utc_now()},
          {"options", settings}};
}

InputSet list_inputs(const PrepareOptions& options) {
  InputSet inputs = options.csv.path.empty()
                        ? list_folder_inputs(options.input_dir, options.csv.classes)
                        : list_csv_inputs(options.csv);
  const std::string& where = options.csv.path.empty() ? options.input_dir : options.csv.path;
  if (inputs.items.empty()) throw std::runtime_error(where + ": no images found");
  if (inputs.classes.size() < 2) {
    std::string found;
    for (const std::string& name : inputs.classes) found += " '" + name + "'";
    throw std::runtime_error(where + ": " + std::to_string(inputs.classes.size()) + " class" +
                             (inputs.classes.size() == 1 ? "" : "es") + (found.empty() ? "" : ":") +
                             found + "; a classifier needs at least two");
  }
  return inputs;
}

void log_skipped(std::ostream& log, const std::vector<nlohmann::json>& skipped, std::size_t total,
                 std::size_t limit) {
  for (std::size_t i = 0; i < std::min(limit, skipped.size()); ++i) {
    log << "  skipped " << skipped[i]["file"].get<std::string>() << ": "
        << skipped[i]["reason"].get<std::string>() << " ("
        << skipped[i]["detail"].get<std::string>() << ")\n";
  }
  if (total > limit) log << "  ... and " << total - limit << " more skipped (see the report)\n";
}

// Folders or labels named 0, 1 make a model that says "0 77.88%": say how
// to name them while the run can still be redone cheaply.
void warn_of_numbered_classes(const PrepareOptions& options, const InputSet& inputs,
                              std::ostream& log) {
  if (!options.csv.classes.empty() || inputs.classes.empty()) return;
  const bool numbered =
      std::all_of(inputs.classes.begin(), inputs.classes.end(), [](const std::string& c) {
        return !c.empty() &&
               std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      });
  if (!numbered) return;
  log << "prepare: warning: the classes are only numbers (" << inputs.classes.front() << ", ...), "
      << "so the model's labels will read \"" << inputs.classes.front()
      << " 97.3%\"; name them in label order with --classes (e.g. --classes male,female)\n";
}

// Before duplicates are resolved: copies whose labels disagreed agree once
// their bytes' label is corrected.
nlohmann::json apply_corrections(const PrepareOptions& options, InputSet& inputs,
                                 const std::vector<Outcome>& outcomes, std::ostream& log) {
  if (options.corrections.empty()) return nullptr;
  const LabelCorrections corrections = read_label_corrections(options.corrections, inputs.classes);
  std::size_t changed = 0, matched = 0;
  for (std::size_t i = 0; i < inputs.items.size(); ++i) {
    const auto found = corrections.label_of.find(outcomes[i].sha256);
    if (found == corrections.label_of.end() || inputs.items[i].problem) continue;
    ++matched;
    if (inputs.items[i].label == found->second && !inputs.items[i].eval_only) continue;
    inputs.items[i].label = found->second;
    inputs.items[i].eval_only = false;
    ++changed;
  }
  log << "prepare: " << options.corrections << ": " << corrections.label_of.size()
      << " corrections, " << matched << " images matched, " << changed << " labels changed\n";
  return {{"file", options.corrections},
          {"listed", corrections.label_of.size()},
          {"matched", matched},
          {"changed", changed}};
}

}  // namespace

dataset::Split split_for(Origin origin, bool eval_only, const std::string& sha256) {
  if (eval_only || origin == Origin::EvalFolder) return dataset::Split::Test;
  const dataset::Split rule = dataset::split_of_sha256(sha256);
  if (origin == Origin::TrainFolder) {
    return rule == dataset::Split::Val ? dataset::Split::Val : dataset::Split::Train;
  }
  return rule;
}

dataset::PackedDataset prepare_dataset(const PrepareOptions& options, std::ostream& log) {
  const auto start = std::chrono::steady_clock::now();
  InputSet inputs = list_inputs(options);
  log << "prepare: " << inputs.items.size() << " inputs from " << inputs.kind << " (" << inputs.root
      << "), classes:";
  for (std::size_t i = 0; i < inputs.classes.size(); ++i)
    log << " " << i << "=" << inputs.classes[i];
  log << "\n";
  warn_of_numbered_classes(options, inputs, log);

  const FaceExtractor extractor(options.face);
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<Outcome> outcomes = process_all(inputs.items, extractor, threads, options.progress);
  const nlohmann::json corrected = apply_corrections(options, inputs, outcomes, log);
  resolve_duplicates(inputs.items, outcomes);

  dataset::PackedDataset result;
  result.image_size = options.face.geometry.size;
  result.classes = inputs.classes;
  const auto kept = std::count_if(outcomes.begin(), outcomes.end(),
                                  [](const Outcome& outcome) { return !outcome.skip; });
  result.pixels.reserve(static_cast<std::size_t>(kept) * options.face.geometry.size *
                        options.face.geometry.size);
  Tally tally;
  std::vector<nlohmann::json> skipped;
  std::size_t skipped_total = 0;
  for (std::size_t i = 0; i < inputs.items.size(); ++i) {
    const InputItem& item = inputs.items[i];
    Outcome& outcome = outcomes[i];
    // Files never read have no hash, so no split.
    const dataset::Split split = outcome.sha256.empty()
                                     ? dataset::Split::Test
                                     : split_for(item.origin, item.eval_only, outcome.sha256);
    const std::string split_name = outcome.sha256.empty() ? kUnsplit : dataset::to_string(split);
    const std::string klass = class_name(item, inputs.classes);
    if (outcome.skip) {
      tally.drop(*outcome.skip, split_name, klass);
      if (skipped_total++ < options.report_skipped) {
        skipped.push_back({{"file", item.path.empty() ? item.source : item.path},
                           {"reason", to_string(*outcome.skip)},
                           {"detail", outcome.detail}});
      }
      continue;
    }
    tally.keep(split_name, klass, outcome.crop.face_found, item.eval_only);
    result.records.push_back({item.label, split, item.eval_only, item.age, item.race, item.source,
                              outcome.sha256, outcome.crop.face_found});
    result.pixels.insert(result.pixels.end(), outcome.crop.pixels.begin(),
                         outcome.crop.pixels.end());
    outcome.crop.pixels = {};  // the dataset holds them now
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json report = tally.to_json();
  report["classes"] = inputs.classes;
  report["input"] = options.csv.path.empty() ? options.input_dir : options.csv.path;
  report["seconds"] = std::round(seconds * 100.0) / 100.0;
  report["images_per_second"] =
      std::round(static_cast<double>(inputs.items.size()) / std::max(seconds, 1e-9) * 10.0) / 10.0;
  report["threads"] = threads;
  if (options.face.pose_filter) report["pose"] = pose_summary(outcomes);
  if (!corrected.is_null()) report["label_corrections"] = corrected;
  report["skipped_files"] = skipped;
  report["skipped_files_listed"] = skipped.size();
  result.report = std::move(report);
  result.provenance = provenance(options, inputs);

  log_skipped(log, skipped, skipped_total, options.log_skipped);
  return result;
}

void check_usable(const dataset::PackedDataset& dataset, const std::string& input) {
  if (dataset.records.empty()) {
    throw std::runtime_error(input +
                             ": no image was kept, the dataset would be empty (see the "
                             "report for why each was dropped)");
  }
  std::set<int> trained;
  for (const dataset::Record& record : dataset.records) {
    if (!record.eval_only) trained.insert(record.label);
  }
  if (trained.size() < 2) {
    const std::string only =
        trained.empty()
            ? "no class"
            : "only class '" + dataset.classes.at(static_cast<std::size_t>(*trained.begin())) + "'";
    throw std::runtime_error(input + ": the kept training images hold " + only +
                             "; a classifier needs at least two classes");
  }
}

}  // namespace facegender::prepare
