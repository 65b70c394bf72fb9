#include "train/augment.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace facegender {

Augmentation identity_augmentation(int size, int input) {
  Augmentation a;
  a.crop_x = (size - input) / 2;
  a.crop_y = (size - input) / 2;
  return a;
}

Augmentation sample_augmentation(const AugmentConfig& config, int size, int input,
                                 std::mt19937_64& rng) {
  Augmentation a = identity_augmentation(size, input);
  std::uniform_int_distribution<int> origin(0, size - input);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  if (config.random_crop) {
    a.crop_x = origin(rng);
    a.crop_y = origin(rng);
  }
  if (config.flip) a.flip = (rng() & 1u) != 0;
  a.brightness = config.brightness * unit(rng);
  a.contrast = 1.0f + config.contrast * unit(rng);
  return a;
}

void augment(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
             const Normalization& norm, std::span<float> out) {
  const auto plane = static_cast<std::size_t>(input) * static_cast<std::size_t>(input);
  if (face.size() != static_cast<std::size_t>(size) * static_cast<std::size_t>(size) ||
      out.size() != plane || a.crop_x < 0 || a.crop_y < 0 || a.crop_x + input > size ||
      a.crop_y + input > size) {
    throw std::invalid_argument("augment: crop of " + std::to_string(input) + " at (" +
                                std::to_string(a.crop_x) + ", " + std::to_string(a.crop_y) +
                                ") does not fit a " + std::to_string(size) +
                                " face, or buffers have the wrong size");
  }
  // Pixels first (crop + flip), as 0..1 values.
  for (int y = 0; y < input; ++y) {
    const std::uint8_t* row =
        face.data() + static_cast<std::size_t>(a.crop_y + y) * static_cast<std::size_t>(size);
    float* dst = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(input);
    for (int x = 0; x < input; ++x) {
      const int sx = a.crop_x + (a.flip ? input - 1 - x : x);
      dst[x] = static_cast<float>(row[sx]) / 255.0f;
    }
  }
  const bool changes_values = a.contrast != 1.0f || a.brightness != 0.0f;
  if (changes_values) {
    double sum = 0.0;
    for (float v : out) sum += v;
    const auto mean = static_cast<float>(sum / static_cast<double>(plane));
    for (float& v : out) v = std::clamp((v - mean) * a.contrast + mean + a.brightness, 0.0f, 1.0f);
  }
  for (float& v : out) v = (v - norm.mean) / norm.std;
}

}  // namespace facegender
