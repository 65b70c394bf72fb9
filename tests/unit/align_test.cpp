#include "facegender/align.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "facegender/pose.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// A frontal face: eyes at (40 +- 10, 50), nose tip halfway down to the mouth.
FaceDetection frontal(double angle_degrees = 0) {
  FaceDetection f;
  const double a = angle_degrees * 3.14159265358979 / 180;
  auto place = [&](double x, double y) {  // rotate about (40, 50)
    const double dx = x - 40, dy = y - 50;
    return Point{static_cast<float>(40 + dx * std::cos(a) - dy * std::sin(a)),
                 static_cast<float>(50 + dx * std::sin(a) + dy * std::cos(a))};
  };
  f.keypoints[kRightEye] = place(30, 50);
  f.keypoints[kLeftEye] = place(50, 50);
  f.keypoints[kNoseTip] = place(40, 50 + 0.52 * 22);
  f.keypoints[kMouth] = place(40, 72);
  f.keypoints[kRightEar] = place(20, 55);
  f.keypoints[kLeftEar] = place(60, 55);
  return f;
}

TEST(AlignedSquare, LevelsTheEyesAndScalesByEyesToMouth) {
  const AlignSpec spec{4.0, 0.25, 64};
  const CropSquare sq = aligned_square(frontal(), spec);
  EXPECT_DOUBLE_EQ(sq.cos, 1.0);
  EXPECT_DOUBLE_EQ(sq.sin, 0.0);
  EXPECT_DOUBLE_EQ(sq.side, 88.0);  // 4 x 22
  EXPECT_DOUBLE_EQ(sq.cx, 40.0);
  EXPECT_DOUBLE_EQ(sq.cy, 50.0 + 5.5);
  const CropSquare turned = aligned_square(frontal(30), spec);
  EXPECT_NEAR(std::atan2(turned.sin, turned.cos) * 180 / 3.14159265358979, 30.0, 1e-4);
  EXPECT_NEAR(turned.side, 88.0, 1e-3);
  EXPECT_THROW(aligned_square(frontal(), AlignSpec{0, 0, 64}), InputError);
}

TEST(WarpSquare, AnUnturnedSquareOverTheImageIsTheImage) {
  std::mt19937 rng(5);
  const testing::RandomImage img = testing::random_image(rng, 24, 24, PixelFormat::Gray8, 3);
  const CropSquare whole{12, 12, 24, 1, 0};
  const Image out = warp_square(img.view(), whole, 24);
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x) ASSERT_EQ(out.row(y)[x], img.view().at(x, y)) << x << "," << y;
}

TEST(WarpSquare, AQuarterTurnTransposesAndTheBorderIsReplicated) {
  std::mt19937 rng(6);
  const testing::RandomImage img = testing::random_image(rng, 16, 16, PixelFormat::Gray8);
  // The square's x axis points down the image: output (u, v) = input (15 - v, u).
  const Image out = warp_square(img.view(), CropSquare{8, 8, 16, 0, 1}, 16);
  for (int v = 0; v < 16; ++v)
    for (int u = 0; u < 16; ++u) ASSERT_EQ(out.row(v)[u], img.view().at(15 - v, u));
  // A square twice the image: the outer ring repeats the edge pixels.
  const Image wide = warp_square(img.view(), CropSquare{8, 8, 32, 1, 0}, 32);
  EXPECT_EQ(wide.row(0)[0], img.view().at(0, 0));
  EXPECT_EQ(wide.row(31)[31], img.view().at(15, 15));
}

TEST(WarpSquare, ShrinksLargeSquaresByAveragingFirst) {
  // A fine checkerboard sampled at 1/8 of its size: bilinear alone would
  // pick single pixels (0 or 255); the area prefilter (5x5 here) gives grey.
  Image board(256, 256, PixelFormat::Gray8);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) board.row(y)[x] = ((x + y) % 2) ? 255 : 0;
  const Image out = warp_square(board.view(), CropSquare{128, 128, 256, 1, 0}, 32);
  for (int x = 4; x < 28; ++x) EXPECT_NEAR(out.row(16)[x], 128, 8) << x;
}

TEST(Pose, FrontalIsZeroAndTurnsHaveTheirSigns) {
  const HeadPose p = estimate_pose(frontal());
  EXPECT_NEAR(p.yaw, 0, 1e-6);
  EXPECT_NEAR(p.pitch, 0, 1e-3);
  EXPECT_NEAR(p.roll, 0, 1e-9);
  EXPECT_NEAR(estimate_pose(frontal(-12)).roll, -12, 1e-3);
  FaceDetection right = frontal();
  right.keypoints[kNoseTip].x += 4;  // nose towards the image's right
  EXPECT_GT(estimate_pose(right).yaw, 10);
  FaceDetection down = frontal();
  down.keypoints[kNoseTip].y += 4;
  EXPECT_GT(estimate_pose(down).pitch, 10);
  EXPECT_TRUE(within(estimate_pose(frontal(3)), PoseLimits{}));
  EXPECT_FALSE(within(estimate_pose(frontal(8)), PoseLimits{}));
}

// Found by tests/fuzz (pixels): a face far beyond any photo (keypoints at
// 1e30, or not finite) gave a square whose pixel positions were converted
// to int (undefined behaviour) instead of an error.
TEST(WarpSquare, RefusesSquaresBeyondPixelCoordinates) {
  Image img(32, 32, PixelFormat::Gray8);
  FaceDetection far = frontal();
  far.keypoints[kLeftEye] = {1e30f, 50};
  far.keypoints[kMouth] = {40, 1e30f};
  EXPECT_THROW(aligned_crop(img.view(), far, AlignSpec{}), InputError);
  EXPECT_THROW(warp_square(img.view(), CropSquare{16, 16, 1e12, 1, 0}, 8), InputError);
  EXPECT_THROW(warp_square(img.view(), CropSquare{std::nan(""), 16, 8, 1, 0}, 8), InputError);
  EXPECT_THROW(warp_square(img.view(), CropSquare{16, -1e9, 8, 1, 0}, 8), InputError);
  EXPECT_NO_THROW(warp_square(img.view(), CropSquare{16, 16, 3000, 0.6, 0.8}, 8));
}

}  // namespace
}  // namespace facegender
