#include "facegender/image.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace facegender {
namespace {

TEST(ImageView, RejectsNonPositiveSizes) {
  std::vector<std::uint8_t> bytes(64);
  EXPECT_THROW(ImageView(bytes, 0, 4, PixelFormat::Gray8), InputError);
  EXPECT_THROW(ImageView(bytes, 4, -1, PixelFormat::Gray8), InputError);
}

TEST(ImageView, RejectsStrideShorterThanARow) {
  std::vector<std::uint8_t> bytes(64);
  try {
    ImageView(bytes, 4, 2, PixelFormat::RGBA8, 15);
    FAIL() << "a stride of 15 for 4 RGBA pixels was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stride 15"), std::string::npos) << e.what();
  }
}

TEST(ImageView, RejectsByteCountOverflow) {
  std::vector<std::uint8_t> bytes(16);
  EXPECT_THROW(ImageView(bytes, 70000, 70000, PixelFormat::RGBA8), InputError);
  EXPECT_THROW(Image(70000, 70000, PixelFormat::RGBA8), InputError);
}

TEST(ImageView, RejectsBufferSmallerThanTheImage) {
  std::vector<std::uint8_t> bytes(4 * 3 * 3 - 1);
  EXPECT_THROW(ImageView(bytes, 4, 3, PixelFormat::RGB8), InputError);
}

TEST(ImageView, LastRowNeedsNoPadding) {
  // Two padded rows of 3 gray pixels, stride 5: 5 + 3 bytes suffice.
  std::vector<std::uint8_t> bytes = {1, 2, 3, 0, 0, 4, 5, 6};
  const ImageView view(bytes, 3, 2, PixelFormat::Gray8, 5);
  EXPECT_EQ(view.at(2, 1), 6);
  EXPECT_EQ(view.at(0, 1), 4);
}

TEST(Image, IsZeroFilledAndViewable) {
  Image image(3, 2, PixelFormat::RGB8);
  EXPECT_EQ(image.pixels().size(), 18u);
  image.row(1)[8] = 9;
  EXPECT_EQ(image.view().at(2, 1, 2), 9);
  EXPECT_EQ(image.view().at(0, 0, 0), 0);
}

TEST(Box, IntersectionOverUnion) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
}

TEST(SubView, SeesTheRegionsPixelsInPlace) {
  std::vector<std::uint8_t> bytes(5 * 4 * 3 + 4 * 2);  // 5x4 RGB, stride 17
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  const ImageView image(bytes, 5, 4, PixelFormat::RGB8, 17);
  const ImageView part = sub_view(image, {1, 2, 3, 2});
  ASSERT_EQ(part.width(), 3);
  ASSERT_EQ(part.height(), 2);
  EXPECT_EQ(part.format(), PixelFormat::RGB8);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(part.at(x, y, c), image.at(x + 1, y + 2, c));
  EXPECT_EQ(sub_view(image, {0, 0, 5, 4}).at(4, 3, 2), image.at(4, 3, 2));
  EXPECT_THROW(sub_view(image, {3, 0, 3, 1}), InputError);
  EXPECT_THROW(sub_view(image, {0, 0, 0, 1}), InputError);
  EXPECT_THROW(sub_view(image, {-1, 0, 2, 2}), InputError);
}

// Found by tests/fuzz (pixels): stride x (height - 1) + row wrapped round to a
// small count, so a stride near SIZE_MAX passed for any buffer and rows were
// read far outside it.
TEST(ImageView, RejectsAStrideWhoseByteCountWrapsAround) {
  std::vector<std::uint8_t> bytes(64);
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  EXPECT_THROW(ImageView(bytes, 8, 2, PixelFormat::Gray8, max), InputError);
  EXPECT_THROW(ImageView(bytes, 8, 3, PixelFormat::Gray8, max / 2 + 1), InputError);
  EXPECT_THROW(ImageView(bytes, 2, 5, PixelFormat::RGB8, max / 4 + 1), InputError);
}

// Found by tests/fuzz (pixels): x + width overflowed int for boxes near INT_MAX.
TEST(SubView, RejectsRegionsWhoseFarEdgeOverflows) {
  std::vector<std::uint8_t> bytes(16);
  const ImageView image(bytes, 4, 4, PixelFormat::Gray8);
  const int big = std::numeric_limits<int>::max();
  EXPECT_THROW(sub_view(image, {2, 0, big, 1}), InputError);
  EXPECT_THROW(sub_view(image, {0, 3, 1, big - 1}), InputError);
  EXPECT_FALSE(inside({1, 1, big, 1}, 4, 4));
  EXPECT_TRUE(inside({1, 1, 3, 3}, 4, 4));
}

TEST(Box, ClipKeepsTheFarEdgeOfHugeBoxes) {
  const int big = std::numeric_limits<int>::max();
  EXPECT_EQ(clip_box({2, 1, big, big - 1}, 10, 8), (Box{2, 1, 8, 7}));
  EXPECT_EQ(clip_box({std::numeric_limits<int>::min(), 3, big, 2}, 10, 8), (Box{0, 3, 0, 2}));
}

}  // namespace
}  // namespace facegender
