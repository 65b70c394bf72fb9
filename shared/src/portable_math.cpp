#include "portable_math.hpp"

#include <cmath>

namespace facegender::detail {
namespace {

constexpr double kLn2High = 6.93147180369123816490e-01;  // ln 2 split so k * high is exact
constexpr double kLn2Low = 1.90821492927058770002e-10;
constexpr double kPi = 3.14159265358979311600e+00;
constexpr double kHalfPi = 1.57079632679489655800e+00;

// atan(t) for 0 <= t <= 1: two half-angle steps take t below tan(pi/16),
// where the alternating series converges to double precision in 13 terms.
double atan_unit(double t) {
  for (int i = 0; i < 2; ++i) t = t / (1.0 + std::sqrt(1.0 + t * t));
  const double t2 = t * t;
  double sum = 0.0;
  for (int n = 12; n >= 0; --n) sum = (n % 2 == 0 ? 1.0 : -1.0) / (2.0 * n + 1.0) + t2 * sum;
  return 4.0 * t * sum;
}

}  // namespace

double portable_exp(double x) {
  if (std::isnan(x)) return x;  // nearbyint(NaN) has no int exponent
  if (x < -745.0) return 0.0;
  if (x > 709.0) return HUGE_VAL;
  // x = k ln2 + r, |r| <= ln2 / 2; e^r by its Taylor series (14 terms).
  const double k = std::nearbyint(x / (kLn2High + kLn2Low));
  const double r = (x - k * kLn2High) - k * kLn2Low;
  double sum = 1.0;
  for (int n = 14; n >= 1; --n) sum = 1.0 + r * sum / n;
  return std::ldexp(sum, static_cast<int>(k));
}

double portable_log(double x) {
  if (std::isnan(x) || x < 0.0) return std::nan("");
  if (x == 0.0) return -HUGE_VAL;
  if (std::isinf(x)) return x;
  // x = m 2^e with m in [sqrt(1/2), sqrt(2)) (frexp and ldexp are exact);
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172: 13 odd terms.
  int e = 0;
  double m = std::frexp(x, &e);
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double sum = 0.0;
  for (int n = 12; n >= 0; --n) sum = 1.0 / (2.0 * n + 1.0) + s2 * sum;
  return 2.0 * s * sum + e * kLn2High + e * kLn2Low;
}

double portable_atan2(double y, double x) {
  if (x == 0.0 && y == 0.0) return 0.0;
  const double ay = std::fabs(y);
  const double ax = std::fabs(x);
  const double first_octant = ay <= ax ? atan_unit(ay / ax) : kHalfPi - atan_unit(ax / ay);
  const double upper_half = x >= 0.0 ? first_octant : kPi - first_octant;
  return y < 0.0 ? -upper_half : upper_half;
}

}  // namespace facegender::detail
