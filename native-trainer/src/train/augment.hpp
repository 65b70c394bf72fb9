// Training-time augmentation of the stored 100x100 faces, and the centre
// crop evaluation uses. Torch-free: plain bytes in, floats out.
//
// Order: geometry picks the pixels (an integer crop and flip, or, when any of
// rotation, scale or shift is set, one similarity transform sampled
// bilinearly with a replicated border); then blur, contrast, brightness,
// uneven light, gamma and noise change them (in 0..1 units, clamped); the
// normalisation of the model's metadata comes last, exactly as the core's
// to_tensor does it, so the identity augmentation equals evaluation's input.
// The photometric steps imitate what real photos do to an aligned face
// (soft focus, exposure, a light from one side, sensor noise); alignment
// already removes most of the geometry, so its jitter is small.
// Grayscale: every stored face is already gray (the seed's colour-to-gray
// step happens in prepare), so there is no colour left to drop.
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "facegender/preprocess.hpp"

namespace facegender {

struct AugmentConfig {
  bool random_crop = true;   // without geometry: crop origin uniform in [0, size - input]^2
  bool flip = true;          // horizontal flip with probability 1/2
  float brightness = 0.15f;  // add uniform [-b, b] (0..1 units)
  float contrast = 0.25f;    // scale around the crop's mean by uniform [1 - c, 1 + c]
  // The defaults below are the shipped model's recipe (models/MODEL_CARD.md);
  // 0 switches a step off.
  float rotate_degrees = 8.0f;  // rotate by uniform [-r, r] degrees about the centre
  float scale = 0.08f;          // zoom by uniform [1 - s, 1 + s]
  float shift = 0.05f;          // move by uniform [-s, s] x input pixels, each axis
  float blur = 0.25f;           // probability of a 3x3 binomial blur
  float light = 0.15f;          // add a linear ramp of amplitude uniform [-l, l] at a random angle
  float gamma = 0.25f;          // raise to exp(uniform [-g, g])
  float noise = 0.03f;          // add Gaussian noise of standard deviation uniform [0, n]

  // True when rotation, scale or shift is set: the similarity path is used.
  bool geometric() const { return rotate_degrees > 0 || scale > 0 || shift > 0; }
};

struct Augmentation {
  int crop_x = 0;
  int crop_y = 0;
  bool flip = false;
  float brightness = 0.0f;
  float contrast = 1.0f;
  bool similarity = false;  // sample through angle/zoom/dx/dy instead of crop_x/y
  float angle = 0.0f;       // radians
  float zoom = 1.0f;        // > 1 enlarges the face
  float dx = 0.0f;          // pixels of the input, added to the centred crop
  float dy = 0.0f;
  bool blur = false;
  float light = 0.0f;  // ramp amplitude (0..1 units)
  float light_angle = 0.0f;
  float gamma = 1.0f;
  float noise = 0.0f;  // standard deviation (0..1 units)
  std::uint64_t noise_seed = 0;
};

// The centred crop, nothing changed: what evaluation and export use.
Augmentation identity_augmentation(int size, int input);

Augmentation sample_augmentation(const AugmentConfig& config, int size, int input,
                                 std::mt19937_64& rng);

// `face` is size x size gray; `out` receives input x input floats.
// Throws std::invalid_argument when the buffers or the crop do not fit.
void augment(std::span<const std::uint8_t> face, int size, int input, const Augmentation& a,
             const Normalization& norm, std::span<float> out);

}  // namespace facegender
