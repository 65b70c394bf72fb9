// facegender calibrate: fit the temperature of a run on its validation faces
// and keep it beside the checkpoints (calibration.json), where eval and
// export find it.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "common/json_text.hpp"
#include "eval/calibration.hpp"
#include "eval/predict.hpp"

namespace facegender::cli {
namespace {

struct CalibrateOptions {
  std::string checkpoint;
  std::vector<std::string> datasets;
  std::string split = "val";
  std::string device = "cpu";
  bool json_output = false;
};

void run_calibrate(const CalibrateOptions& o) {
  const torch::Device device(o.device == "cuda" ? torch::kCUDA : torch::kCPU);
  ScoringModel model = load_scoring_model(o.checkpoint, device);
  Scores all;
  all.classes = model.checkpoint.architecture.classes;
  for (const std::string& path : o.datasets) {
    const dataset::PackedDataset data = dataset::read(path);
    std::vector<std::size_t> rows;
    for (std::size_t i : data.indices(dataset::split_from_string(o.split)))
      if (!data.records[i].eval_only) rows.push_back(i);
    if (rows.empty()) throw std::runtime_error(path + ": no faces in the " + o.split + " split");
    const Scores part = score_faces(model, data, rows, device);
    all.probabilities.insert(all.probabilities.end(), part.probabilities.begin(),
                             part.probabilities.end());
    all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
  }
  const TemperatureFit fit = fit_temperature(all);
  const std::string folder = checkpoint_folder(o.checkpoint);
  write_calibration(folder, fit, o.datasets, o.split);
  const double ece_before = expected_calibration_error(all);
  const double ece_after = expected_calibration_error(with_temperature(all, fit.temperature));
  if (o.json_output) {
    std::cout << json_text(nlohmann::json{
                     {"temperature", fit.temperature},
                     {"faces", fit.faces},
                     {"mean_nll", {{"before", fit.nll_before}, {"after", fit.nll_after}}},
                     {"calibration_error", {{"before", ece_before}, {"after", ece_after}}}})
              << "\n";
    return;
  }
  std::cout << "temperature " << fit.temperature << " fitted on " << fit.faces << " " << o.split
            << " faces: mean NLL " << fit.nll_before << " -> " << fit.nll_after
            << ", calibration error (15 bins) " << ece_before << " -> " << ece_after << "\nwrote "
            << folder << "/calibration.json (eval and export use it)\n";
}

}  // namespace

void add_calibrate(CLI::App& app) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Fit a run's temperature on validation faces, so its percentages mean what they say");
  cmd->add_option("checkpoint", o->checkpoint,
                  "Run folder (its best checkpoint) or a checkpoint .json")
      ->required();
  cmd->add_option("--data", o->datasets, "Packed datasets (.fgds) whose split is used")->required();
  cmd->add_option("--split", o->split, "The split to fit on (never test)")
      ->check(CLI::IsMember({"val", "train"}))
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_flag("--json", o->json_output, "Print the fit as JSON");
  cmd->callback([o] { run_calibrate(*o); });
}

}  // namespace facegender::cli
