// The augmentation settings as command-line options, in one place: train
// uses them, and inspect augment draws what they do.
#pragma once

#include <CLI/CLI.hpp>

#include "train/augment.hpp"

namespace facegender::cli {

inline void add_augment_options(CLI::App* cmd, AugmentConfig& a) {
  cmd->add_flag("!--no-random-crop", a.random_crop,
                "Centre crop instead of random 100->80 crops (when rotate, scale and shift are 0)");
  cmd->add_flag("!--no-flip", a.flip, "No horizontal flips");
  cmd->add_option("--brightness", a.brightness, "Brightness shift range (0..1 units)")
      ->capture_default_str();
  cmd->add_option("--contrast", a.contrast, "Contrast scale range around 1")->capture_default_str();
  cmd->add_option("--rotate", a.rotate_degrees, "Rotation range (degrees, +-)")
      ->check(CLI::Range(0.0, 45.0))
      ->capture_default_str();
  cmd->add_option("--scale", a.scale, "Zoom range around 1 (+-)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--shift", a.shift,
                  "Shift range as a fraction of the input (+-); with --rotate and --scale it "
                  "replaces the random crop")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--blur", a.blur, "Probability of a 3x3 blur")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--light", a.light, "Uneven-light ramp amplitude (0..1 units)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--gamma", a.gamma, "Gamma range: x^exp(+-g)")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  cmd->add_option("--noise", a.noise, "Largest Gaussian noise std (0..1 units)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
}

}  // namespace facegender::cli
