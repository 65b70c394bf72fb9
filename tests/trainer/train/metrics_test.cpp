#include "eval/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace facegender {
namespace {

Scores binary(const std::vector<float>& p_class1, const std::vector<int>& labels) {
  Scores s;
  for (float p : p_class1) {
    s.probabilities.push_back(1.0f - p);
    s.probabilities.push_back(p);
  }
  s.labels = labels;
  return s;
}

TEST(Metrics, AccuracyConfusionAndBalance) {
  // 3 of class 0 (2 right), 1 of class 1 (right).
  const Scores s = binary({0.1f, 0.2f, 0.9f, 0.8f}, {0, 0, 0, 1});
  EXPECT_DOUBLE_EQ(accuracy(s), 0.75);
  EXPECT_EQ(confusion_matrix(s), (std::vector<std::vector<int>>{{2, 1}, {0, 1}}));
  EXPECT_DOUBLE_EQ(balanced_accuracy(s), (2.0 / 3.0 + 1.0) / 2.0);
}

TEST(Metrics, RocAucMatchesPairCounting) {
  const std::vector<float> p = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.9f};
  const std::vector<int> y = {0, 0, 1, 1, 1, 0};
  // Naive: share of (positive, negative) pairs ranked right, ties half.
  double right = 0, pairs = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        right += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
      }
    }
  }
  EXPECT_DOUBLE_EQ(roc_auc(binary(p, y)), right / pairs);
  EXPECT_DOUBLE_EQ(roc_auc(binary({0.1f, 0.9f}, {0, 1})), 1.0);
  EXPECT_TRUE(std::isnan(roc_auc(binary({0.1f, 0.9f}, {1, 1}))));
}

TEST(Metrics, CalibrationErrorOfKnownCases) {
  // Always 90% sure and right 90% of the time: calibrated.
  std::vector<float> p(10, 0.9f);
  std::vector<int> y(10, 1);
  y[0] = 0;
  EXPECT_NEAR(expected_calibration_error(binary(p, y)), 0.0, 1e-6);
  // Always 90% sure and always wrong: error 0.9.
  EXPECT_NEAR(expected_calibration_error(binary(p, std::vector<int>(10, 0))), 0.9, 1e-6);
}

TEST(Metrics, SubsetKeepsRowsTogether) {
  const Scores s = binary({0.1f, 0.7f, 0.2f}, {0, 1, 1});
  const Scores part = s.subset({1, 2});
  EXPECT_EQ(part.labels, (std::vector<int>{1, 1}));
  EXPECT_DOUBLE_EQ(accuracy(part), 0.5);
}

// Regression: NaN scores sent binary_auc's tie loop round forever
// (NaN == NaN is false), so `eval` of a diverged model never returned.
TEST(Metrics, RocAucOfNonFiniteScoresIsNanAndReturns) {
  const Scores s = binary({0.1f, NAN, 0.9f, NAN}, {0, 0, 1, 1});
  EXPECT_TRUE(std::isnan(roc_auc(s)));
  EXPECT_TRUE(std::isnan(roc_auc(binary({INFINITY, 0.2f}, {0, 1}))));
}

}  // namespace
}  // namespace facegender
