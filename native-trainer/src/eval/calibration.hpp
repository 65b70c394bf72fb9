// Temperature scaling: one number T, fitted on validation faces, that divides
// a model's logits so that its confidence matches how often it is right.
// The core applies it (facegender/postprocess.hpp, apply_temperature); this
// fits it and keeps it beside a run's checkpoints. Torch-free.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eval/metrics.hpp"

namespace facegender {

struct TemperatureFit {
  double temperature = 1.0;
  double nll_before = 0.0;  // mean negative log-likelihood at T = 1
  double nll_after = 0.0;   // ... at the fitted T
  std::size_t faces = 0;
};

// The T in [0.05, 20] that minimises the mean negative log-likelihood of the
// labels (golden-section search on log T, which the likelihood is unimodal
// in). Throws std::invalid_argument for no faces or mismatched sizes.
TemperatureFit fit_temperature(const Scores& scores);

// The scores with every row passed through the core's apply_temperature.
Scores with_temperature(const Scores& scores, double temperature);

// RUN/calibration.json: the fit and what it was fitted on. Written
// atomically; read_temperature returns nothing when the folder has none and
// throws std::runtime_error naming the file when it is malformed.
void write_calibration(const std::string& folder, const TemperatureFit& fit,
                       const std::vector<std::string>& datasets, const std::string& split);
std::optional<double> read_temperature(const std::string& folder);

// The folder a checkpoint argument (run folder, .json or .safetensors) lives in.
std::string checkpoint_folder(const std::string& checkpoint);

}  // namespace facegender
