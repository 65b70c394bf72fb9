#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// Reference: BT.601 in double precision. The core's 15-bit fixed point may
// differ from it by at most one grey level (it matches OpenCV exactly; the
// parity suite checks that).
int reference_luma(int r, int g, int b) {
  return static_cast<int>(std::lround(0.299 * r + 0.587 * g + 0.114 * b));
}

TEST(Gray, PrimariesAndExtremes) {
  const std::vector<std::uint8_t> rgb = {0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255};
  const Image gray = to_gray(ImageView(rgb, 5, 1, PixelFormat::RGB8));
  EXPECT_EQ(gray.row(0)[0], 0);
  EXPECT_EQ(gray.row(0)[1], 255);
  EXPECT_EQ(gray.row(0)[2], 76);   // 255 * 0.299
  EXPECT_EQ(gray.row(0)[3], 150);  // 255 * 0.587
  EXPECT_EQ(gray.row(0)[4], 29);   // 255 * 0.114
}

TEST(Gray, EveryFormatWithinOneLevelOfDoubleReference) {
  std::mt19937 rng(7);
  for (PixelFormat format :
       {PixelFormat::RGB8, PixelFormat::BGR8, PixelFormat::RGBA8, PixelFormat::Gray8}) {
    const auto image = testing::random_image(rng, 37, 23, format, 5);
    const ImageView view = image.view();
    const Image gray = to_gray(view);
    for (int y = 0; y < view.height(); ++y) {
      for (int x = 0; x < view.width(); ++x) {
        int expected = view.at(x, y, 0);
        if (format == PixelFormat::RGB8 || format == PixelFormat::RGBA8) {
          expected = reference_luma(view.at(x, y, 0), view.at(x, y, 1), view.at(x, y, 2));
        } else if (format == PixelFormat::BGR8) {
          expected = reference_luma(view.at(x, y, 2), view.at(x, y, 1), view.at(x, y, 0));
        }
        ASSERT_LE(std::abs(gray.row(y)[x] - expected), 1)
            << to_string(format) << " at " << x << "," << y;
      }
    }
  }
}

TEST(Gray, AlphaIsIgnoredAndChannelOrderRespected) {
  const std::vector<std::uint8_t> rgba = {10, 200, 30, 0, 10, 200, 30, 255};
  const std::vector<std::uint8_t> bgr = {30, 200, 10};
  const Image from_rgba = to_gray(ImageView(rgba, 2, 1, PixelFormat::RGBA8));
  const Image from_bgr = to_gray(ImageView(bgr, 1, 1, PixelFormat::BGR8));
  EXPECT_EQ(from_rgba.row(0)[0], from_rgba.row(0)[1]);
  EXPECT_EQ(from_rgba.row(0)[0], from_bgr.row(0)[0]);
}

}  // namespace
}  // namespace facegender
