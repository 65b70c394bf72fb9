// IEEE 754 half precision (binary16) to single precision, exactly: every
// half is a float. BlazeFace's weights are halves, so the .fgnet files keep
// them as halves (format 2) and the core widens them when it reads them.
// Integer steps only, so the native and the WebAssembly builds get the same
// bits (and the converter, shared/tools/tflite_to_fgnet, the same as both).
#pragma once

#include <cstdint>
#include <cstring>

namespace facegender::detail {

inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits = sign;  // +-0
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {
    // A subnormal half is a normal float: shift its leading 1 into place.
    std::uint32_t shifts = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shifts;
    }
    bits = sign | ((113u - shifts) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace facegender::detail
