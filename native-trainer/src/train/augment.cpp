#include "train/augment.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace facegender {
namespace {

void require_fit(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
                 std::span<float> out) {
  const auto plane = static_cast<std::size_t>(input) * static_cast<std::size_t>(input);
  const bool crop_fits = a.similarity || (a.crop_x >= 0 && a.crop_y >= 0 &&
                                          a.crop_x + input <= size && a.crop_y + input <= size);
  if (face.size() != static_cast<std::size_t>(size) * static_cast<std::size_t>(size) ||
      out.size() != plane || input > size || !crop_fits) {
    throw std::invalid_argument("augment: crop of " + std::to_string(input) + " at (" +
                                std::to_string(a.crop_x) + ", " + std::to_string(a.crop_y) +
                                ") does not fit a " + std::to_string(size) +
                                " face, or buffers have the wrong size");
  }
}

// The integer crop (+ flip): exactly the stored pixels, as 0..1 values.
void crop_pixels(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
                 std::span<float> out) {
  for (int y = 0; y < input; ++y) {
    const std::uint8_t* row =
        face.data() + static_cast<std::size_t>(a.crop_y + y) * static_cast<std::size_t>(size);
    float* dst = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(input);
    for (int x = 0; x < input; ++x) {
      const int sx = a.crop_x + (a.flip ? input - 1 - x : x);
      dst[x] = static_cast<float>(row[sx]) / 255.0f;
    }
  }
}

// Output pixel centres mapped back through the similarity transform about
// the face's centre, sampled bilinearly with the border replicated.
void similarity_pixels(std::span<const std::uint8_t> face, int size, int input,
                       const Augmentation& a, std::span<float> out) {
  const float centre_in = 0.5f * static_cast<float>(input) - 0.5f;
  const float centre_face = 0.5f * static_cast<float>(size) - 0.5f;
  const float c = std::cos(a.angle) / a.zoom;
  const float s = std::sin(a.angle) / a.zoom;
  auto at = [&](int x, int y) {
    x = std::clamp(x, 0, size - 1);
    y = std::clamp(y, 0, size - 1);
    return static_cast<float>(face[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                                   static_cast<std::size_t>(x)]);
  };
  for (int y = 0; y < input; ++y) {
    for (int x = 0; x < input; ++x) {
      const float u = static_cast<float>(a.flip ? input - 1 - x : x) - centre_in - a.dx;
      const float v = static_cast<float>(y) - centre_in - a.dy;
      const float sx = c * u - s * v + centre_face;
      const float sy = s * u + c * v + centre_face;
      const float fx = std::floor(sx);
      const float fy = std::floor(sy);
      const float wx = sx - fx;
      const float wy = sy - fy;
      const int x0 = static_cast<int>(fx);
      const int y0 = static_cast<int>(fy);
      const float top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * wx;
      const float bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * wx;
      out[static_cast<std::size_t>(y) * static_cast<std::size_t>(input) +
          static_cast<std::size_t>(x)] = (top + (bottom - top) * wy) / 255.0f;
    }
  }
}

// A 3x3 binomial (1-2-1) blur with the border replicated: soft focus.
void blur3(std::span<float> pixels, int input) {
  const std::vector<float> copy(pixels.begin(), pixels.end());
  auto at = [&](int x, int y) {
    x = std::clamp(x, 0, input - 1);
    y = std::clamp(y, 0, input - 1);
    return copy[static_cast<std::size_t>(y) * static_cast<std::size_t>(input) +
                static_cast<std::size_t>(x)];
  };
  for (int y = 0; y < input; ++y) {
    for (int x = 0; x < input; ++x) {
      float sum = 0.0f;
      for (int j = -1; j <= 1; ++j)
        for (int i = -1; i <= 1; ++i)
          sum += static_cast<float>((2 - std::abs(i)) * (2 - std::abs(j))) * at(x + i, y + j);
      pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(input) +
             static_cast<std::size_t>(x)] = sum / 16.0f;
    }
  }
}

void photometric(std::span<float> pixels, int input, const Augmentation& a) {
  if (a.blur) blur3(pixels, input);
  if (a.contrast != 1.0f || a.brightness != 0.0f) {
    double sum = 0.0;
    for (float v : pixels) sum += v;
    const auto mean = static_cast<float>(sum / static_cast<double>(pixels.size()));
    for (float& v : pixels)
      v = std::clamp((v - mean) * a.contrast + mean + a.brightness, 0.0f, 1.0f);
  }
  if (a.light != 0.0f) {
    // A ramp from -light at one edge to +light at the other, across the angle.
    const float cx = std::cos(a.light_angle) / static_cast<float>(input);
    const float cy = std::sin(a.light_angle) / static_cast<float>(input);
    const float half = 0.5f * static_cast<float>(input);
    for (int y = 0; y < input; ++y)
      for (int x = 0; x < input; ++x) {
        float& v = pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(input) +
                          static_cast<std::size_t>(x)];
        const float t = (static_cast<float>(x) - half) * cx + (static_cast<float>(y) - half) * cy;
        v = std::clamp(v + 2.0f * a.light * t, 0.0f, 1.0f);
      }
  }
  if (a.gamma != 1.0f)
    for (float& v : pixels) v = std::pow(v, a.gamma);
  if (a.noise > 0.0f) {
    std::mt19937_64 rng(a.noise_seed);
    std::normal_distribution<float> gauss(0.0f, a.noise);
    for (float& v : pixels) v = std::clamp(v + gauss(rng), 0.0f, 1.0f);
  }
}

}  // namespace

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
  std::uniform_real_distribution<float> fraction(0.0f, 1.0f);
  if (config.geometric()) {
    a.similarity = true;
    a.angle = config.rotate_degrees * std::numbers::pi_v<float> / 180.0f * unit(rng);
    a.zoom = 1.0f + config.scale * unit(rng);
    a.dx = config.shift * static_cast<float>(input) * unit(rng);
    a.dy = config.shift * static_cast<float>(input) * unit(rng);
  } else if (config.random_crop) {
    a.crop_x = origin(rng);
    a.crop_y = origin(rng);
  }
  if (config.flip) a.flip = (rng() & 1u) != 0;
  a.brightness = config.brightness * unit(rng);
  a.contrast = 1.0f + config.contrast * unit(rng);
  // Only the steps that are switched on draw numbers, so a run with the
  // older settings keeps its exact sequence of augmentations.
  if (config.blur > 0) a.blur = fraction(rng) < config.blur;
  if (config.light > 0) {
    a.light = config.light * unit(rng);
    a.light_angle = std::numbers::pi_v<float> * unit(rng);
  }
  if (config.gamma > 0) a.gamma = std::exp(config.gamma * unit(rng));
  if (config.noise > 0) {
    a.noise = config.noise * fraction(rng);
    a.noise_seed = rng();
  }
  return a;
}

void augment(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
             const Normalization& norm, std::span<float> out) {
  require_fit(face, size, input, a, out);
  if (a.similarity)
    similarity_pixels(face, size, input, a, out);
  else
    crop_pixels(face, size, input, a, out);
  photometric(out, input, a);
  for (float& v : out) v = (v - norm.mean) / norm.std;
}

}  // namespace facegender
