// Temperature scaling fitted on scores whose true temperature is known.
#include "eval/calibration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/files.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// Labels drawn from sigmoid(z), probabilities reported as sigmoid(3 z): a
// model three times too sure of itself, whose temperature is 3.
Scores overconfident(int n, double factor, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> logit(0.0, 2.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Scores s;
  s.classes = 2;
  for (int i = 0; i < n; ++i) {
    const double z = logit(rng);
    const double p1 = 1.0 / (1.0 + std::exp(-z));
    s.labels.push_back(unit(rng) < p1 ? 1 : 0);
    const double reported = 1.0 / (1.0 + std::exp(-factor * z));
    s.probabilities.push_back(static_cast<float>(1.0 - reported));
    s.probabilities.push_back(static_cast<float>(reported));
  }
  return s;
}

TEST(Calibration, FitsTheTemperatureThatUndoesOverconfidence) {
  const Scores s = overconfident(20000, 3.0, 1);
  const TemperatureFit fit = fit_temperature(s);
  EXPECT_NEAR(fit.temperature, 3.0, 0.15);
  EXPECT_LT(fit.nll_after, fit.nll_before);
  EXPECT_EQ(fit.faces, 20000u);
  const Scores calibrated = with_temperature(s, fit.temperature);
  EXPECT_LT(expected_calibration_error(calibrated), 0.02);
  EXPECT_GT(expected_calibration_error(s), 0.1);
  // Temperature never changes a prediction.
  for (std::size_t i = 0; i < s.count(); ++i) ASSERT_EQ(calibrated.predicted(i), s.predicted(i));
  // A well-calibrated model keeps a temperature near 1.
  EXPECT_NEAR(fit_temperature(overconfident(20000, 1.0, 2)).temperature, 1.0, 0.08);
  EXPECT_THROW(fit_temperature(Scores{}), std::invalid_argument);
}

TEST(Calibration, IsKeptBesideTheRunAndReadBack) {
  testing::TempDir dir;
  EXPECT_FALSE(read_temperature(dir.path()).has_value());
  TemperatureFit fit;
  fit.temperature = 1.7;
  fit.faces = 12;
  write_calibration(dir.path(), fit, {"a.fgds"}, "val");
  EXPECT_DOUBLE_EQ(read_temperature(dir.path()).value(), 1.7);
  EXPECT_EQ(checkpoint_folder(dir.path()), dir.path().string());
  EXPECT_EQ(checkpoint_folder(dir / "best.json"), dir.path().string());
  write_file_atomically(dir / "calibration.json", R"({"temperature": -1})");
  try {
    read_temperature(dir.path());
    FAIL() << "a negative temperature was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("calibration.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace facegender
