// Classification metrics from predicted probabilities and true labels.
// Torch-free.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace facegender {

struct Scores {
  std::vector<float> probabilities;  // row-major [count, classes]
  std::vector<int> labels;
  int classes = 2;

  std::size_t count() const { return labels.size(); }
  int predicted(std::size_t i) const;
  float confidence(std::size_t i) const;  // probability of the predicted class
  Scores subset(const std::vector<std::size_t>& rows) const;
};

double accuracy(const Scores& s);
double balanced_accuracy(const Scores& s);  // mean per-class recall (classes present)
std::vector<std::vector<int>> confusion_matrix(const Scores& s);  // [true][predicted]
// Binary: AUC of class 1's probability; more classes: mean one-vs-rest AUC.
// NaN when a class has no positive or no negative example.
double roc_auc(const Scores& s);
// Expected calibration error of the top-class confidence over `bins` equal bins.
double expected_calibration_error(const Scores& s, int bins = 15);

// All of the above as JSON (NaN written as null).
nlohmann::json summary(const Scores& s);

}  // namespace facegender
