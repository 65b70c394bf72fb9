#include "train/augment.hpp"

#include <gtest/gtest.h>

#include <random>

#include "facegender/preprocess.hpp"

namespace facegender {
namespace {

std::vector<std::uint8_t> random_face(unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> face(100 * 100);
  for (auto& p : face) p = static_cast<std::uint8_t>(rng() & 0xFF);
  return face;
}

std::vector<float> run(const std::vector<std::uint8_t>& face, const Augmentation& a,
                       Normalization n = {}) {
  std::vector<float> out(80 * 80);
  augment(face, 100, 80, a, n, out);
  return out;
}

TEST(Augment, IdentityIsTheCoresCentreCropTensor) {
  const auto face = random_face(1);
  const Normalization norm{0.5f, 0.5f};
  const Image centre = center_crop(ImageView(face, 100, 100, PixelFormat::Gray8), 80);
  const std::vector<float> expected = to_tensor(centre.view(), norm);
  EXPECT_EQ(run(face, identity_augmentation(100, 80), norm), expected);  // bit for bit
}

TEST(Augment, FlipMirrorsAndTwiceIsIdentity) {
  const auto face = random_face(2);
  Augmentation flipped = identity_augmentation(100, 80);
  flipped.flip = true;
  const std::vector<float> plain = run(face, identity_augmentation(100, 80));
  const std::vector<float> mirror = run(face, flipped);
  for (int y = 0; y < 80; ++y) {
    for (int x = 0; x < 80; ++x)
      ASSERT_EQ(mirror[static_cast<std::size_t>(y * 80 + x)],
                plain[static_cast<std::size_t>(y * 80 + 79 - x)]);
  }
  // Flipping the flipped pixels gives the original back.
  std::vector<std::uint8_t> mirrored_face(face.size());
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 100; ++x)
      mirrored_face[static_cast<std::size_t>(y * 100 + x)] =
          face[static_cast<std::size_t>(y * 100 + 99 - x)];
  }
  Augmentation flip_centre = flipped;
  EXPECT_EQ(run(mirrored_face, flip_centre), plain);
}

TEST(Augment, RandomCropsStayInside) {
  std::mt19937_64 rng(3);
  AugmentConfig config;
  int min_x = 100, max_x = -1;
  for (int i = 0; i < 5000; ++i) {
    const Augmentation a = sample_augmentation(config, 100, 80, rng);
    ASSERT_GE(a.crop_x, 0);
    ASSERT_GE(a.crop_y, 0);
    ASSERT_LE(a.crop_x + 80, 100);
    ASSERT_LE(a.crop_y + 80, 100);
    ASSERT_LE(std::abs(a.brightness), config.brightness);
    ASSERT_LE(std::abs(a.contrast - 1.0f), config.contrast);
    min_x = std::min(min_x, a.crop_x);
    max_x = std::max(max_x, a.crop_x);
  }
  EXPECT_EQ(min_x, 0);  // the whole range is used
  EXPECT_EQ(max_x, 20);
  const auto face = random_face(4);
  Augmentation outside = identity_augmentation(100, 80);
  outside.crop_x = 21;
  std::vector<float> out(80 * 80);
  EXPECT_THROW(augment(face, 100, 80, outside, {}, out), std::invalid_argument);
}

TEST(Augment, BrightnessShiftsAndContrastScalesAroundTheMean) {
  std::vector<std::uint8_t> face(100 * 100);
  for (std::size_t i = 0; i < face.size(); ++i)
    face[i] = static_cast<std::uint8_t>(64 + (i % 2) * 64);  // 64 / 128
  Augmentation brighter = identity_augmentation(100, 80);
  brighter.brightness = 0.1f;
  const std::vector<float> plain = run(face, identity_augmentation(100, 80));
  const std::vector<float> shifted = run(face, brighter);
  for (std::size_t i = 0; i < plain.size(); ++i) ASSERT_NEAR(shifted[i], plain[i] + 0.1f, 1e-6f);
  Augmentation stronger = identity_augmentation(100, 80);
  stronger.contrast = 2.0f;
  const std::vector<float> contrasted = run(face, stronger);
  const float mean = (64.0f + 128.0f) / 2.0f / 255.0f;
  for (std::size_t i = 0; i < plain.size(); ++i)
    ASSERT_NEAR(contrasted[i] - mean, 2.0f * (plain[i] - mean), 1e-6f);
  Augmentation saturated = identity_augmentation(100, 80);
  saturated.brightness = 0.9f;
  for (float v : run(face, saturated)) ASSERT_LE(v, 1.0f);  // clamped
}

}  // namespace
}  // namespace facegender
