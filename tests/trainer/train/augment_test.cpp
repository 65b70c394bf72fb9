#include "train/augment.hpp"

#include <gtest/gtest.h>

#include <cmath>
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

// The augmentation before the similarity and photometric steps: random
// crop, flip, brightness and contrast.
AugmentConfig crop_only() {
  AugmentConfig c;
  c.rotate_degrees = c.scale = c.shift = 0.0f;
  c.blur = c.light = c.gamma = c.noise = 0.0f;
  return c;
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
  const AugmentConfig config = crop_only();
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

// The similarity path with nothing to do is the centre crop: bilinear
// sampling at whole-pixel positions returns the stored pixels exactly.
TEST(Augment, SimilarityWithoutMotionIsTheCentreCrop) {
  const auto face = random_face(11);
  Augmentation still = identity_augmentation(100, 80);
  still.similarity = true;
  EXPECT_EQ(run(face, still), run(face, identity_augmentation(100, 80)));
  // A whole-pixel shift is the integer crop moved the other way round.
  Augmentation shifted = still;
  shifted.dx = 3.0f;
  shifted.dy = -2.0f;
  Augmentation crop = identity_augmentation(100, 80);
  crop.crop_x -= 3;
  crop.crop_y += 2;
  EXPECT_EQ(run(face, shifted), run(face, crop));
}

// A quarter turn of a face moves its rows into columns; zoom 2 shows the
// centre half, each stored pixel spread over four.
TEST(Augment, RotationAndZoomMoveThePixelsWhereTheyShould) {
  std::vector<std::uint8_t> face(100 * 100);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 100; ++x)
      face[static_cast<std::size_t>(y * 100 + x)] = static_cast<std::uint8_t>(x * 2);
  Augmentation turned = identity_augmentation(100, 80);
  turned.similarity = true;
  turned.angle = static_cast<float>(M_PI / 2);
  const std::vector<float> out = run(face, turned);
  // Output (x, y) samples source (cx - (y - c), cy + (x - c)): constant along x.
  for (int y = 5; y < 75; y += 10)
    for (int x = 5; x < 75; x += 10)
      ASSERT_NEAR(out[static_cast<std::size_t>(y * 80 + x)],
                  out[static_cast<std::size_t>(y * 80 + 40)], 1e-5f);
  EXPECT_GT(out[5 * 80 + 40], out[70 * 80 + 40]);  // the ramp now runs down the rows
  Augmentation zoomed = identity_augmentation(100, 80);
  zoomed.similarity = true;
  zoomed.zoom = 2.0f;
  const std::vector<float> near = run(face, zoomed);
  // Neighbouring output pixels differ by half a stored step (2 / 255 / 2).
  EXPECT_NEAR(near[40 * 80 + 41] - near[40 * 80 + 40], 1.0f / 255.0f, 1e-5f);
}

TEST(Augment, PhotometricStepsStayInRangeAndFollowTheirSettings) {
  std::mt19937_64 rng(12);
  AugmentConfig config;
  config.rotate_degrees = 8;
  config.scale = 0.08f;
  config.shift = 0.05f;
  config.blur = 0.5f;
  config.light = 0.2f;
  config.gamma = 0.3f;
  config.noise = 0.05f;
  const auto face = random_face(13);
  int blurred = 0;
  for (int i = 0; i < 400; ++i) {
    const Augmentation a = sample_augmentation(config, 100, 80, rng);
    ASSERT_TRUE(a.similarity);
    ASSERT_LE(std::abs(a.angle), 8.0f * static_cast<float>(M_PI) / 180.0f + 1e-6f);
    ASSERT_LE(std::abs(a.zoom - 1.0f), 0.08f + 1e-6f);
    ASSERT_LE(std::abs(a.dx), 4.0f + 1e-5f);
    ASSERT_LE(std::abs(a.light), 0.2f);
    ASSERT_GE(a.gamma, std::exp(-0.3f) - 1e-6f);
    ASSERT_LE(a.gamma, std::exp(0.3f) + 1e-6f);
    ASSERT_LE(a.noise, 0.05f);
    blurred += a.blur ? 1 : 0;
    for (const float v : run(face, a)) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << v;
  }
  EXPECT_GT(blurred, 150);
  EXPECT_LT(blurred, 250);
  // Blur smooths: neighbouring pixels of random noise come closer.
  Augmentation soft = identity_augmentation(100, 80);
  soft.blur = true;
  auto roughness = [](const std::vector<float>& v) {
    double sum = 0;
    for (std::size_t i = 1; i < v.size(); ++i) sum += std::abs(v[i] - v[i - 1]);
    return sum;
  };
  EXPECT_LT(roughness(run(face, soft)), 0.6 * roughness(run(face, identity_augmentation(100, 80))));
  // Gamma above 1 darkens mid-grey; the same noise seed gives the same noise.
  std::vector<std::uint8_t> grey(100 * 100, 128);
  Augmentation dark = identity_augmentation(100, 80);
  dark.gamma = 2.0f;
  EXPECT_NEAR(run(grey, dark)[0], std::pow(128.0f / 255.0f, 2.0f), 1e-6f);
  Augmentation noisy = identity_augmentation(100, 80);
  noisy.noise = 0.05f;
  noisy.noise_seed = 99;
  EXPECT_EQ(run(grey, noisy), run(grey, noisy));
  EXPECT_NE(run(grey, noisy), run(grey, identity_augmentation(100, 80)));
}

// Settings that are off draw no random numbers: the older recipe's
// augmentations (and so its runs) are unchanged.
TEST(Augment, SwitchedOffStepsLeaveTheOlderSequenceAlone) {
  std::mt19937_64 a(21), b(21);
  const AugmentConfig older = crop_only();
  for (int i = 0; i < 100; ++i) {
    const Augmentation x = sample_augmentation(older, 100, 80, a);
    std::uniform_int_distribution<int> origin(0, 20);
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    const int cx = origin(b), cy = origin(b);
    const bool flip = (b() & 1u) != 0;
    const float brightness = older.brightness * unit(b);
    const float contrast = 1.0f + older.contrast * unit(b);
    ASSERT_EQ(x.crop_x, cx);
    ASSERT_EQ(x.crop_y, cy);
    ASSERT_EQ(x.flip, flip);
    ASSERT_EQ(x.brightness, brightness);
    ASSERT_EQ(x.contrast, contrast);
    ASSERT_FALSE(x.similarity || x.blur || x.noise > 0 || x.light != 0 || x.gamma != 1.0f);
  }
}

}  // namespace
}  // namespace facegender
