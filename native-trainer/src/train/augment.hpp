// Training-time augmentation of the stored 100x100 faces, and the centre
// crop evaluation uses. Torch-free: plain bytes in, floats out.
//
// Order: random crop (size -> input) and horizontal flip pick the pixels;
// contrast then brightness change them (in 0..1 units, clamped); the
// normalisation of the model's metadata comes last, exactly as the core's
// to_tensor does it, so the identity augmentation equals evaluation's input.
// Grayscale: every stored face is already gray (the seed's colour-to-gray
// step happens in prepare), so there is no colour left to drop.
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "facegender/preprocess.hpp"

namespace facegender {

struct AugmentConfig {
  bool random_crop = true;   // crop origin uniform in [0, size - input]^2, else centred
  bool flip = true;          // horizontal flip with probability 1/2
  float brightness = 0.15f;  // add uniform [-b, b] (0..1 units)
  float contrast = 0.25f;    // scale around the crop's mean by uniform [1 - c, 1 + c]
};

struct Augmentation {
  int crop_x = 0;
  int crop_y = 0;
  bool flip = false;
  float brightness = 0.0f;
  float contrast = 1.0f;
};

// The centred crop, nothing changed: what evaluation and export use.
Augmentation identity_augmentation(int size, int input);

Augmentation sample_augmentation(const AugmentConfig& config, int size, int input,
                                 std::mt19937_64& rng);

// `face` is size x size gray; `out` receives input x input floats.
void augment(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
             const Normalization& norm, std::span<float> out);

}  // namespace facegender
