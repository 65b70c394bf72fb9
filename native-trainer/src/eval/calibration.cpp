#include "eval/calibration.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/files.hpp"
#include "common/json_text.hpp"
#include "facegender/postprocess.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

double mean_nll(const Scores& scores, double temperature) {
  const auto classes = static_cast<std::size_t>(scores.classes);
  double total = 0.0;
  std::vector<double> scaled(classes);
  for (std::size_t i = 0; i < scores.count(); ++i) {
    double top = -HUGE_VAL;
    for (std::size_t c = 0; c < classes; ++c) {
      const double p = std::max(static_cast<double>(scores.probabilities[i * classes + c]), 1e-38);
      scaled[c] = std::log(p) / temperature;
      top = std::max(top, scaled[c]);
    }
    double sum = 0.0;
    for (double z : scaled) sum += std::exp(z - top);
    total += -(scaled[static_cast<std::size_t>(scores.labels[i])] - top - std::log(sum));
  }
  return total / static_cast<double>(scores.count());
}

}  // namespace

TemperatureFit fit_temperature(const Scores& scores) {
  if (scores.count() == 0) throw std::invalid_argument("fit_temperature: no faces");
  if (scores.probabilities.size() != scores.count() * static_cast<std::size_t>(scores.classes))
    throw std::invalid_argument("fit_temperature: probabilities and labels differ in size");
  double low = std::log(0.05), high = std::log(20.0);
  const double ratio = (std::sqrt(5.0) - 1.0) / 2.0;
  double a = high - ratio * (high - low), b = low + ratio * (high - low);
  double fa = mean_nll(scores, std::exp(a)), fb = mean_nll(scores, std::exp(b));
  for (int i = 0; i < 60; ++i) {
    if (fa < fb) {
      high = b;
      b = a;
      fb = fa;
      a = high - ratio * (high - low);
      fa = mean_nll(scores, std::exp(a));
    } else {
      low = a;
      a = b;
      fa = fb;
      b = low + ratio * (high - low);
      fb = mean_nll(scores, std::exp(b));
    }
  }
  TemperatureFit fit;
  fit.temperature = std::exp(0.5 * (low + high));
  fit.nll_before = mean_nll(scores, 1.0);
  fit.nll_after = mean_nll(scores, fit.temperature);
  fit.faces = scores.count();
  return fit;
}

Scores with_temperature(const Scores& scores, double temperature) {
  Scores out = scores;
  const auto classes = static_cast<std::size_t>(scores.classes);
  for (std::size_t i = 0; i < scores.count(); ++i) {
    const std::vector<float> row = apply_temperature(
        std::span<const float>(scores.probabilities).subspan(i * classes, classes),
        static_cast<float>(temperature));
    std::copy(row.begin(), row.end(), out.probabilities.begin() + static_cast<long>(i * classes));
  }
  return out;
}

void write_calibration(const std::string& folder, const TemperatureFit& fit,
                       const std::vector<std::string>& datasets, const std::string& split) {
  const json record = {
      {"temperature", fit.temperature},
      {"fitted_on", {{"datasets", datasets}, {"split", split}, {"faces", fit.faces}}},
      {"mean_nll", {{"before", fit.nll_before}, {"after", fit.nll_after}}}};
  write_file_atomically((fs::path(folder) / "calibration.json").string(), json_text(record, 2));
}

std::optional<double> read_temperature(const std::string& folder) {
  const fs::path path = fs::path(folder) / "calibration.json";
  if (!fs::exists(path)) return std::nullopt;
  std::ifstream in(path);
  try {
    const json record = json::parse(in);
    const double t = record.at("temperature").get<double>();
    if (!std::isfinite(t) || t <= 0) throw std::runtime_error("not a positive number");
    return t;
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": no usable \"temperature\" (" + e.what() + ")");
  }
}

std::string checkpoint_folder(const std::string& checkpoint) {
  return fs::is_directory(checkpoint) ? checkpoint : fs::path(checkpoint).parent_path().string();
}

}  // namespace facegender
