// The core's own exp and atan2 against the C library on random input.
#include "portable_math.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace facegender::detail {
namespace {

TEST(PortableMath, ExpAgreesWithTheCLibrary) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> x(-740.0, 700.0);
  for (int i = 0; i < 200000; ++i) {
    const double v = i < 1000 ? -i * 0.01 : x(rng);
    const double expected = std::exp(v);
    // Relative error of two ulps; absolute in the subnormal range.
    ASSERT_NEAR(portable_exp(v), expected, std::max(expected * 4e-16, 1e-322)) << v;
  }
  EXPECT_EQ(portable_exp(0.0), 1.0);
  EXPECT_EQ(portable_exp(-800.0), 0.0);
}

TEST(PortableMath, Atan2AgreesWithTheCLibrary) {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> v(-100.0, 100.0);
  for (int i = 0; i < 200000; ++i) {
    const double y = v(rng), x = v(rng);
    ASSERT_NEAR(portable_atan2(y, x), std::atan2(y, x), 1e-15) << y << ", " << x;
  }
  EXPECT_EQ(portable_atan2(0.0, 0.0), 0.0);
  EXPECT_NEAR(portable_atan2(1.0, 0.0), M_PI / 2, 1e-16);
  EXPECT_NEAR(portable_atan2(-1.0, -1.0), -3 * M_PI / 4, 1e-15);
  EXPECT_NEAR(portable_atan2(0.0, -1.0), M_PI, 1e-15);
}

TEST(PortableMath, LogAgreesWithTheCLibrary) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-300.0, 300.0);
  for (int i = 0; i < 200000; ++i) {
    const double v = std::pow(10.0, exponent(rng));
    ASSERT_NEAR(portable_log(v), std::log(v), std::max(std::fabs(std::log(v)) * 4e-16, 4e-16)) << v;
  }
  EXPECT_EQ(portable_log(1.0), 0.0);
  EXPECT_EQ(portable_log(0.0), -HUGE_VAL);
  EXPECT_TRUE(std::isnan(portable_log(-1.0)));
  EXPECT_TRUE(std::isnan(portable_log(std::nan(""))));
  const double smallest = std::numeric_limits<float>::min();
  EXPECT_NEAR(portable_log(smallest), std::log(smallest), 1e-13);
}

// Found by tests/fuzz (network): exp(NaN) converted nearbyint(NaN) to int
// (undefined behaviour; the asan preset's UBSan reports it).
TEST(PortableMath, ExpOfNanIsNan) {
  EXPECT_TRUE(std::isnan(portable_exp(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(portable_exp(-std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_EQ(portable_exp(std::numeric_limits<double>::infinity()), HUGE_VAL);
}

}  // namespace
}  // namespace facegender::detail
