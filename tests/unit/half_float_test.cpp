#include "half_float.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace facegender::detail {
namespace {

// The definition of binary16, in floating point: (-1)^s 2^(e-15) (1 + m/1024),
// subnormals 2^-14 (m/1024).
double naive_half(std::uint16_t h) {
  const int sign = h >> 15;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  double v = e == 0 ? std::ldexp(m / 1024.0, -14) : std::ldexp(1.0 + m / 1024.0, e - 15);
  if (e == 31) v = m == 0 ? INFINITY : NAN;
  return sign ? -v : v;
}

TEST(HalfFloat, EveryHalfWidensExactly) {
  for (std::uint32_t h = 0; h <= 0xffffu; ++h) {
    const auto half = static_cast<std::uint16_t>(h);
    const float got = half_to_float(half);
    const double want = naive_half(half);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << h;
    } else {
      EXPECT_EQ(static_cast<double>(got), want) << h;
      EXPECT_EQ(std::signbit(got), std::signbit(want)) << h;  // -0 stays -0
    }
  }
}

TEST(HalfFloat, KnownValues) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);               // largest half
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
}

}  // namespace
}  // namespace facegender::detail
