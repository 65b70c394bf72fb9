// Integers from JSON, checked. nlohmann-json's get<int>() converts a JSON
// float with static_cast, so 1e10 (or any float beyond the type) is
// undefined behaviour and 1.5 becomes 1; these take integers (or floats with
// an integral value) that fit the type, and throw nlohmann's type_error for
// anything else, which the parsers already turn into InputError.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

namespace facegender::detail {

template <class Int>
Int json_integer(const nlohmann::json& v) {
  constexpr auto lo = static_cast<double>(std::numeric_limits<Int>::min());
  constexpr auto hi = static_cast<double>(std::numeric_limits<Int>::max());
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<Int>::max()))
      return static_cast<Int>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    const bool fits = i < 0 ? std::is_signed_v<Int> &&
                                  i >= static_cast<std::int64_t>(std::numeric_limits<Int>::min())
                            : static_cast<std::uint64_t>(i) <=
                                  static_cast<std::uint64_t>(std::numeric_limits<Int>::max());
    if (fits) return static_cast<Int>(i);
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    // max + 1 is a power of two (for 64-bit types max itself rounds up to
    // it), so "below max + 1" is exact.
    if (std::trunc(d) == d && d >= lo && d < hi + 1.0) return static_cast<Int>(d);
  }
  throw nlohmann::json::type_error::create(
      302,
      "expected an integer that fits " + std::to_string(sizeof(Int) * 8) + " bits, got " + v.dump(),
      &v);
}

template <class Int>
std::vector<Int> json_integers(const nlohmann::json& v) {
  if (!v.is_array())
    throw nlohmann::json::type_error::create(302, "expected an array of integers", &v);
  std::vector<Int> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(json_integer<Int>(e));
  return out;
}

}  // namespace facegender::detail
