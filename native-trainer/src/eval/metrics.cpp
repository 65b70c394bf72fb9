#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace facegender {

int Scores::predicted(std::size_t i) const {
  const float* row = probabilities.data() + i * static_cast<std::size_t>(classes);
  return static_cast<int>(std::max_element(row, row + classes) - row);
}

float Scores::confidence(std::size_t i) const {
  return probabilities[i * static_cast<std::size_t>(classes) +
                       static_cast<std::size_t>(predicted(i))];
}

Scores Scores::subset(const std::vector<std::size_t>& rows) const {
  Scores out;
  out.classes = classes;
  for (std::size_t r : rows) {
    const auto begin =
        probabilities.begin() + static_cast<long>(r * static_cast<std::size_t>(classes));
    out.probabilities.insert(out.probabilities.end(), begin, begin + classes);
    out.labels.push_back(labels[r]);
  }
  return out;
}

double accuracy(const Scores& s) {
  if (s.count() == 0) return std::nan("");
  std::size_t right = 0;
  for (std::size_t i = 0; i < s.count(); ++i) right += s.predicted(i) == s.labels[i];
  return static_cast<double>(right) / static_cast<double>(s.count());
}

std::vector<std::vector<int>> confusion_matrix(const Scores& s) {
  std::vector<std::vector<int>> m(static_cast<std::size_t>(s.classes),
                                  std::vector<int>(static_cast<std::size_t>(s.classes), 0));
  for (std::size_t i = 0; i < s.count(); ++i) {
    ++m[static_cast<std::size_t>(s.labels[i])][static_cast<std::size_t>(s.predicted(i))];
  }
  return m;
}

double balanced_accuracy(const Scores& s) {
  const auto m = confusion_matrix(s);
  double sum = 0.0;
  int present = 0;
  for (std::size_t c = 0; c < m.size(); ++c) {
    const int total = std::accumulate(m[c].begin(), m[c].end(), 0);
    if (total == 0) continue;
    sum += static_cast<double>(m[c][c]) / total;
    ++present;
  }
  return present ? sum / present : std::nan("");
}

namespace {

// Area under the ROC curve as the Mann-Whitney statistic, ties counted half.
double binary_auc(const std::vector<float>& score, const std::vector<bool>& positive) {
  // NaN breaks the sort's ordering and the tie loop (NaN == NaN is false).
  if (!std::all_of(score.begin(), score.end(), [](float v) { return std::isfinite(v); }))
    return std::nan("");
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double mid_rank =
        (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;  // 1-based average
    for (std::size_t k = i; k < j; ++k) {
      if (positive[order[k]]) {
        rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const std::size_t negatives = score.size() - positives;
  if (positives == 0 || negatives == 0) return std::nan("");
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1.0) / 2.0) / (p * static_cast<double>(negatives));
}

}  // namespace

double roc_auc(const Scores& s) {
  auto one_vs_rest = [&](int c) {
    std::vector<float> score;
    std::vector<bool> positive;
    for (std::size_t i = 0; i < s.count(); ++i) {
      score.push_back(
          s.probabilities[i * static_cast<std::size_t>(s.classes) + static_cast<std::size_t>(c)]);
      positive.push_back(s.labels[i] == c);
    }
    return binary_auc(score, positive);
  };
  if (s.classes == 2) return one_vs_rest(1);
  double sum = 0.0;
  for (int c = 0; c < s.classes; ++c) {
    const double auc = one_vs_rest(c);
    if (std::isnan(auc)) return auc;
    sum += auc;
  }
  return sum / s.classes;
}

double expected_calibration_error(const Scores& s, int bins) {
  if (s.count() == 0) return std::nan("");
  std::vector<double> confidence_sum(static_cast<std::size_t>(bins), 0.0),
      correct(static_cast<std::size_t>(bins), 0.0);
  std::vector<std::size_t> members(static_cast<std::size_t>(bins), 0);
  for (std::size_t i = 0; i < s.count(); ++i) {
    const double c = s.confidence(i);
    const auto bin = static_cast<std::size_t>(std::min(bins - 1, static_cast<int>(c * bins)));
    confidence_sum[bin] += c;
    correct[bin] += s.predicted(i) == s.labels[i];
    ++members[bin];
  }
  double ece = 0.0;
  for (std::size_t b = 0; b < members.size(); ++b) {
    if (members[b] == 0) continue;
    ece += std::abs(confidence_sum[b] - correct[b]) / static_cast<double>(s.count());
  }
  return ece;
}

nlohmann::json summary(const Scores& s) {
  auto number = [](double v) {
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  };
  return {{"count", s.count()},
          {"accuracy", number(accuracy(s))},
          {"balanced_accuracy", number(balanced_accuracy(s))},
          {"roc_auc", number(roc_auc(s))},
          {"calibration_error", number(expected_calibration_error(s))},
          {"confusion_matrix", confusion_matrix(s)}};
}

}  // namespace facegender
