#include <gtest/gtest.h>

#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// A gray image whose pixel value encodes its position: (x + 3y) mod 256.
Image ramp(int width, int height) {
  Image image(width, height, PixelFormat::Gray8);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) image.row(y)[x] = static_cast<std::uint8_t>((x + 3 * y) % 256);
  }
  return image;
}

TEST(SquareCrop, InsideTheImageIsTheSubImage) {
  const Image image = ramp(40, 30);
  const Image crop = square_crop(image.view(), {10, 5, 8, 8}, 0.25);  // side 12, origin (8, 3)
  ASSERT_EQ(crop.width(), 12);
  ASSERT_EQ(crop.height(), 12);
  for (int y = 0; y < 12; ++y) {
    for (int x = 0; x < 12; ++x)
      ASSERT_EQ(crop.row(y)[x], image.row(3 + y)[8 + x]) << x << "," << y;
  }
}

TEST(SquareCrop, UsesTheLongerSideAndKeepsTheCentre) {
  const Image image = ramp(100, 100);
  const Image crop =
      square_crop(image.view(), {40, 30, 10, 20}, 0.0);  // 20x20 around centre (45, 40)
  ASSERT_EQ(crop.width(), 20);
  EXPECT_EQ(crop.row(0)[0], image.row(30)[35]);
  EXPECT_EQ(crop.row(19)[19], image.row(49)[54]);
}

TEST(SquareCrop, ReplicatesBordersOutsideTheImage) {
  const Image image = ramp(20, 20);
  const Image crop = square_crop(image.view(), {-5, -5, 10, 10}, 0.0);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 10; ++x) {
      const int sx = std::max(x - 5, 0);
      const int sy = std::max(y - 5, 0);
      ASSERT_EQ(crop.row(y)[x], image.row(sy)[sx]) << x << "," << y;
    }
  }
  const Image corner = square_crop(image.view(), {15, 15, 10, 10}, 0.5);  // side 20 from (10, 10)
  EXPECT_EQ(corner.row(19)[19], image.row(19)[19]);
  EXPECT_EQ(corner.row(12)[15], image.row(19)[19]);
}

TEST(SquareCrop, RejectsBadBoxesAndMargins) {
  const Image image = ramp(20, 20);
  EXPECT_THROW(square_crop(image.view(), {0, 0, 0, 5}, 0.1), InputError);
  EXPECT_THROW(square_crop(image.view(), {30, 0, 5, 5}, 0.1), InputError);
  EXPECT_THROW(square_crop(image.view(), {-10, 0, 5, 5}, 0.1), InputError);
  EXPECT_THROW(square_crop(image.view(), {0, 0, 5, 5}, -0.1), InputError);
  EXPECT_THROW(square_crop(image.view(), {0, 0, 2000000000, 5}, 0.1), InputError);
  std::vector<std::uint8_t> rgb(20 * 20 * 3);
  EXPECT_THROW(square_crop(ImageView(rgb, 20, 20, PixelFormat::RGB8), {0, 0, 5, 5}, 0.1),
               InputError);
}

TEST(CropFace, ResizesTheSquareToTheGeometrySize) {
  const Image image = ramp(300, 200);
  const CropGeometry geometry{0.2, 100, 80};
  const Image big = crop_face(image.view(), {100, 50, 120, 120}, geometry);  // shrinks 168 -> 100
  const Image small = crop_face(image.view(), {100, 50, 30, 30}, geometry);  // grows 42 -> 100
  EXPECT_EQ(big.width(), 100);
  EXPECT_EQ(small.height(), 100);
  EXPECT_THROW(crop_face(image.view(), {100, 50, 30, 30}, CropGeometry{0.2, 100, 120}), InputError);
}

TEST(CenterCrop, TakesTheMiddle) {
  const Image image = ramp(100, 100);
  const Image centre = center_crop(image.view(), 80);
  EXPECT_EQ(centre.row(0)[0], image.row(10)[10]);
  EXPECT_EQ(centre.row(79)[79], image.row(89)[89]);
  EXPECT_THROW(center_crop(image.view(), 101), InputError);
  EXPECT_THROW(center_crop(image.view(), 0), InputError);
}

}  // namespace
}  // namespace facegender
