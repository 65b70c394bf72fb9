#include "half_float.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "facegender/image.hpp"
#include "facegender/network.hpp"

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

// A .fgnet container: magic, header size, header JSON, then `data`.
std::vector<std::uint8_t> fgnet(const std::string& header, std::size_t data_bytes) {
  std::vector<std::uint8_t> bytes{'F', 'G', 'N', 'E', 'T', '1', 0, 0};
  const auto size = static_cast<std::uint32_t>(header.size());
  bytes.resize(12);
  std::memcpy(bytes.data() + 8, &size, 4);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data_bytes, 0);
  return bytes;
}

TEST(HalfFloat, NetworkFileOfHalvesMustHoldWholeHalves) {
  const auto read = [](const std::vector<std::uint8_t>& bytes) {
    return InferenceNetwork::from_bytes(bytes, "odd.fgnet");
  };
  try {
    read(fgnet(R"({"format":2})", 3));
    FAIL() << "3 bytes of halves were accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("odd.fgnet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not whole halves"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read(fgnet(R"({"format":1})", 6)), InputError);  // floats are 4 bytes
}

}  // namespace
}  // namespace facegender::detail
