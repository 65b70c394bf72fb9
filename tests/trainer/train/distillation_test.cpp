// The soft-target loss against a naive reference on random logits.
#include "train/distillation.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace facegender {
namespace {

// sum_i sum_c p_t log(p_t / p_s) / N * T^2, one element at a time.
double naive_distillation_loss(const torch::Tensor& student, const torch::Tensor& teacher,
                               double t) {
  const auto s = student.accessor<float, 2>();
  const auto q = teacher.accessor<float, 2>();
  double total = 0.0;
  for (std::int64_t i = 0; i < student.size(0); ++i) {
    double zs = 0.0;
    double zt = 0.0;
    for (std::int64_t c = 0; c < student.size(1); ++c) {
      zs += std::exp(s[i][c] / t);
      zt += std::exp(q[i][c] / t);
    }
    for (std::int64_t c = 0; c < student.size(1); ++c) {
      const double ps = std::exp(s[i][c] / t) / zs;
      const double pt = std::exp(q[i][c] / t) / zt;
      total += pt * std::log(pt / ps);
    }
  }
  return total / static_cast<double>(student.size(0)) * t * t;
}

TEST(DistillationLoss, MatchesANaiveReferenceOnRandomLogits) {
  torch::manual_seed(7);
  for (const double t : {0.5, 1.0, 2.0, 4.0}) {
    const torch::Tensor student = torch::randn({9, 3}) * 3;
    const torch::Tensor teacher = torch::randn({9, 3}) * 3;
    const double expected = naive_distillation_loss(student, teacher, t);
    EXPECT_NEAR(distillation_loss(student, teacher, t).item<double>(), expected,
                1e-5 * std::max(1.0, expected))
        << "T " << t;
  }
}

TEST(DistillationLoss, IsZeroOnlyWhereTheStudentAgreesAndPullsTowardTheTeacher) {
  const torch::Tensor teacher = torch::tensor({{2.0f, -1.0f}, {-3.0f, 0.5f}});
  EXPECT_NEAR(distillation_loss(teacher, teacher, 2.0).item<double>(), 0.0, 1e-7);
  // Shifting every logit of a face by the same amount changes nothing.
  EXPECT_NEAR(distillation_loss(teacher + 5.0f, teacher, 2.0).item<double>(), 0.0, 1e-6);
  torch::Tensor student = torch::zeros({2, 2}, torch::requires_grad());
  const torch::Tensor loss = distillation_loss(student, teacher, 2.0);
  EXPECT_GT(loss.item<double>(), 0.0);
  loss.backward();
  // A gradient step raises the logit the teacher prefers for each face.
  const torch::Tensor step = -student.grad();
  EXPECT_GT(step[0][0].item<float>(), step[0][1].item<float>());
  EXPECT_LT(step[1][0].item<float>(), step[1][1].item<float>());
}

TEST(DistillationLoss, RejectsABadTemperatureOrShapes) {
  const torch::Tensor a = torch::zeros({2, 2});
  EXPECT_THROW(distillation_loss(a, a, 0.0), std::invalid_argument);
  EXPECT_THROW(distillation_loss(a, torch::zeros({2, 3}), 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace facegender
