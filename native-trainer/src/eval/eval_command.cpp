// facegender eval: accuracy and friends on a split of a packed dataset, by
// age band and race x gender when the data has them, plus a contact sheet of
// the most confident mistakes.
#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "commands.hpp"
#include "common/files.hpp"
#include "common/json_text.hpp"
#include "dataset/packed_dataset.hpp"
#include "eval/calibration.hpp"
#include "eval/metrics.hpp"
#include "eval/predict.hpp"
#include "train/checkpoint.hpp"

namespace facegender::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct EvalOptions {
  std::string checkpoint;
  std::string data;
  std::string split = "test";
  std::string out;
  std::vector<std::string> race_names{"White", "Black", "Asian", "Indian", "Others"};
  int mistakes = 24;
  std::string device = "cpu";
  bool average_flip = false;
  bool calibrated = true;
  bool json_output = false;
};

struct AgeBand {
  const char* name;
  int low, high;  // inclusive
};
constexpr AgeBand kAgeBands[] = {{"0-9", 0, 9},     {"10-17", 10, 17}, {"18-29", 18, 29},
                                 {"30-44", 30, 44}, {"45-59", 45, 59}, {"60+", 60, 1000}};

json group_row(const Scores& scores, const std::vector<std::size_t>& rows) {
  const Scores part = scores.subset(rows);
  const double acc = accuracy(part);
  return {{"count", part.count()}, {"accuracy", std::isnan(acc) ? json(nullptr) : json(acc)}};
}

json by_age(const Scores& scores, const std::vector<const dataset::Record*>& records) {
  json out = json::object();
  for (const AgeBand& band : kAgeBands) {
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (records[i]->age && *records[i]->age >= band.low && *records[i]->age <= band.high)
        rows.push_back(i);
    }
    if (!rows.empty()) out[band.name] = group_row(scores, rows);
  }
  return out;
}

// Race x gender (true label), adults (18+) and all ages.
json by_race_and_class(const Scores& scores, const std::vector<const dataset::Record*>& records,
                       const std::vector<std::string>& classes,
                       const std::vector<std::string>& race_names, bool adults_only) {
  json out = json::object();
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const dataset::Record& r = *records[i];
    if (!r.race || (adults_only && (!r.age || *r.age < 18))) continue;
    const auto race = static_cast<std::size_t>(*r.race);
    const std::string race_name =
        race < race_names.size() ? race_names[race] : "race " + std::to_string(*r.race);
    groups[race_name + " " + classes[static_cast<std::size_t>(r.label)]].push_back(i);
  }
  for (const auto& [name, rows] : groups) out[name] = group_row(scores, rows);
  return out;
}

json confidence_histogram(const Scores& scores) {
  std::vector<int> bins(10, 0);
  double sum = 0.0;
  for (std::size_t i = 0; i < scores.count(); ++i) {
    const float c = scores.confidence(i);
    sum += c;
    ++bins[static_cast<std::size_t>(
        std::min(9, static_cast<int>((c - 0.5f) * 20.0f)))];  // binary: c in [0.5, 1]
  }
  return {{"count", scores.count()},
          {"mean_confidence",
           scores.count() ? json(sum / static_cast<double>(scores.count())) : json(nullptr)},
          {"histogram_0.5_to_1.0_in_0.05_steps", bins}};
}

// The most confident mistakes first, at most `limit`.
std::vector<std::size_t> confident_mistakes(const Scores& scores, int limit) {
  std::vector<std::size_t> wrong;
  for (std::size_t i = 0; i < scores.count(); ++i) {
    if (scores.predicted(i) != scores.labels[i]) wrong.push_back(i);
  }
  std::stable_sort(wrong.begin(), wrong.end(), [&](std::size_t a, std::size_t b) {
    return scores.confidence(a) > scores.confidence(b);
  });
  wrong.resize(std::min(wrong.size(), static_cast<std::size_t>(std::max(0, limit))));
  return wrong;
}

// The sheet's faces in its order, with what a label-corrections list needs
// (prepare --corrections): the SHA-256, the given and the predicted label.
void write_mistake_list(const std::string& path, const dataset::PackedDataset& data,
                        const Scores& scores, const std::vector<std::size_t>& dataset_rows,
                        const std::vector<std::size_t>& wrong) {
  std::ostringstream csv;
  csv << "tile,sha256,source,label,predicted,confidence\n";
  for (std::size_t k = 0; k < wrong.size(); ++k) {
    const std::size_t i = wrong[k];
    const dataset::Record& r = data.records[dataset_rows[i]];
    csv << k + 1 << "," << r.sha256 << "," << r.source << ","
        << data.classes[static_cast<std::size_t>(scores.labels[i])] << ","
        << data.classes[static_cast<std::size_t>(scores.predicted(i))] << ","
        << scores.confidence(i) << "\n";
  }
  write_file_atomically(path, csv.str());
}

// The most confident mistakes, 100x100 faces in a grid captioned "n: true>predicted" and "p%".
void write_mistake_sheet(const std::string& path, const dataset::PackedDataset& data,
                         const Scores& scores, const std::vector<std::size_t>& dataset_rows,
                         const std::vector<std::size_t>& wrong) {
  const int tile = data.image_size;
  const int caption = 28;
  const int columns = 6;
  const int rows = std::max(1, static_cast<int>((wrong.size() + columns - 1) / columns));
  cv::Mat sheet(rows * (tile + caption), columns * tile, CV_8UC3, cv::Scalar(255, 255, 255));
  for (std::size_t k = 0; k < wrong.size(); ++k) {
    const std::size_t i = wrong[k];
    const auto face = data.face(dataset_rows[i]);
    const cv::Mat gray(tile, tile, CV_8UC1, const_cast<std::uint8_t*>(face.data()));
    const int x = static_cast<int>(k % columns) * tile;
    const int y = static_cast<int>(k / columns) * (tile + caption);
    cv::Mat cell = sheet(cv::Rect(x, y, tile, tile));
    cv::cvtColor(gray, cell, cv::COLOR_GRAY2BGR);
    // Two lines, so a caption fits its 100 px tile.
    std::ostringstream rank_and_labels;
    rank_and_labels << k + 1 << ": " << data.classes[static_cast<std::size_t>(scores.labels[i])]
                    << ">" << data.classes[static_cast<std::size_t>(scores.predicted(i))];
    std::ostringstream confidence;
    confidence << std::fixed << std::setprecision(1) << scores.confidence(i) * 100.0f << "%";
    auto put = [&](const std::string& text, int baseline) {
      cv::putText(sheet, text, cv::Point(x + 2, y + tile + baseline), cv::FONT_HERSHEY_SIMPLEX,
                  0.33, cv::Scalar(0, 0, 160), 1, cv::LINE_AA);
    };
    put(rank_and_labels.str(), 11);
    put(confidence.str(), 24);
  }
  std::vector<std::uint8_t> png;
  cv::imencode(".png", sheet, png);
  write_file_atomically(path, std::string(png.begin(), png.end()));
}

std::string percent(const json& v) {
  if (v.is_null()) return "-";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << v.get<double>() * 100.0 << "%";
  return s.str();
}

std::string markdown(const json& report) {
  std::ostringstream md;
  const json& all = report["overall"];
  md << "# Evaluation: " << report["checkpoint"].get<std::string>() << "\n\n"
     << "Data: `" << report["data"].get<std::string>() << "`, split **"
     << report["split"].get<std::string>() << "**, " << all["count"] << " faces"
     << (report["flip_average"].get<bool>() ? ", each averaged with its mirror image" : "") << ".\n"
     << (report["temperature"].is_null()
             ? std::string("Probabilities uncalibrated (temperature 1).\n\n")
             : "Probabilities calibrated with temperature " +
                   std::to_string(report["temperature"].get<double>()) +
                   " (the run's calibration.json).\n\n")
     << "| metric | value |\n|---|---|\n"
     << "| accuracy | " << percent(all["accuracy"]) << " |\n"
     << "| balanced accuracy | " << percent(all["balanced_accuracy"]) << " |\n"
     << "| ROC-AUC | "
     << (all["roc_auc"].is_null() ? "-" : std::to_string(all["roc_auc"].get<double>())) << " |\n"
     << "| expected calibration error (15 bins) | "
     << (all["calibration_error"].is_null()
             ? "-"
             : std::to_string(all["calibration_error"].get<double>()))
     << " |\n\n"
     << "Confusion matrix (rows: true, columns: predicted; " << report["classes"].dump()
     << "): " << all["confusion_matrix"].dump() << "\n";
  for (const auto& [title, key] : {std::pair{"By age band", "by_age"},
                                   std::pair{"By race x gender, ages 18+", "by_race_gender_adults"},
                                   std::pair{"By race x gender, all ages", "by_race_gender"}}) {
    if (report[key].empty()) continue;
    md << "\n## " << title << "\n\n| group | faces | accuracy |\n|---|---:|---:|\n";
    for (const auto& [group, row] : report[key].items()) {
      md << "| " << group << " | " << row["count"] << " | " << percent(row["accuracy"]) << " |\n";
    }
  }
  if (report["eval_only"]["count"].get<std::size_t>() > 0) {
    md << "\n## Eval-only (ambiguous) faces\n\n" << report["eval_only"].dump() << "\n";
  }
  return md.str();
}

void run_eval(const EvalOptions& o) {
  const torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  ScoringModel model = load_scoring_model(o.checkpoint, device);
  const dataset::PackedDataset data = dataset::read(o.data);
  const std::vector<std::string> classes = model.checkpoint.state.value("classes", data.classes);
  // 0: no calibration (GCC 12 misreads an optional<double> here as uninitialised).
  const double temperature =
      o.calibrated ? read_temperature(checkpoint_folder(o.checkpoint)).value_or(0.0) : 0.0;

  const dataset::Split split = dataset::split_from_string(o.split);
  std::vector<std::size_t> rows, eval_only_rows;
  for (std::size_t i : data.indices(split))
    (data.records[i].eval_only ? eval_only_rows : rows).push_back(i);
  if (rows.empty()) throw std::runtime_error(o.data + ": no faces in the " + o.split + " split");

  auto scores_of = [&](const std::vector<std::size_t>& indices) {
    const Scores raw = score_faces(model, data, indices, device, o.average_flip);
    return temperature > 0 ? with_temperature(raw, temperature) : raw;
  };
  const Scores scores = scores_of(rows);
  std::vector<const dataset::Record*> records;
  for (std::size_t i : rows) records.push_back(&data.records[i]);

  json report = {
      {"checkpoint", o.checkpoint},
      {"data", o.data},
      {"split", o.split},
      {"classes", classes},
      {"step", model.checkpoint.state.value("step", 0)},
      {"flip_average", o.average_flip},
      {"temperature", temperature > 0 ? json(temperature) : json(nullptr)},
      {"overall", summary(scores)},
      {"by_age", by_age(scores, records)},
      {"by_race_gender", by_race_and_class(scores, records, classes, o.race_names, false)},
      {"by_race_gender_adults", by_race_and_class(scores, records, classes, o.race_names, true)},
      {"eval_only", eval_only_rows.empty() ? confidence_histogram(Scores{})
                                           : confidence_histogram(scores_of(eval_only_rows))}};
  if (!o.out.empty()) {
    fs::create_directories(o.out);
    write_file_atomically((fs::path(o.out) / "eval.json").string(), json_text(report, 2));
    write_file_atomically((fs::path(o.out) / "eval.md").string(), markdown(report));
    const std::vector<std::size_t> wrong = confident_mistakes(scores, o.mistakes);
    write_mistake_sheet((fs::path(o.out) / "mistakes.png").string(), data, scores, rows, wrong);
    write_mistake_list((fs::path(o.out) / "mistakes.csv").string(), data, scores, rows, wrong);
  }
  if (o.json_output) {
    std::cout << json_text(report) << "\n";
  } else {
    std::cout << markdown(report);
    if (!o.out.empty())
      std::cout << "\nwrote eval.json, eval.md, mistakes.png and mistakes.csv to " << o.out << "\n";
  }
}

}  // namespace

void add_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Evaluate a checkpoint on a split of a packed dataset");
  cmd->add_option("checkpoint", o->checkpoint,
                  "Run folder (its best checkpoint) or a checkpoint .json")
      ->required();
  cmd->add_option("--data", o->data, "Packed dataset (.fgds)")->required();
  cmd->add_option("--split", o->split, "test, val or train")
      ->check(CLI::IsMember({"test", "val", "train"}))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Folder for eval.json, eval.md, mistakes.png and mistakes.csv");
  cmd->add_option("--race-names", o->race_names, "Names of the race codes (UTKFace's by default)")
      ->delimiter(',');
  cmd->add_option("--mistakes", o->mistakes,
                  "Most confident mistakes in the contact sheet and mistakes.csv")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_flag("--flip", o->average_flip,
                "Average each face's probabilities with its mirror image's");
  cmd->add_flag("!--uncalibrated", o->calibrated,
                "Ignore the run's calibration.json (facegender calibrate): raw probabilities");
  cmd->add_flag("--json", o->json_output, "Print the report as JSON");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace facegender::cli
