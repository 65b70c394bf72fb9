#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// Naive area average in double precision: the overlap of every source pixel
// with the output pixel's footprint.
double reference_area(const ImageView& src, int dst_w, int dst_h, int ox, int oy) {
  const double sx = static_cast<double>(src.width()) / dst_w;
  const double sy = static_cast<double>(src.height()) / dst_h;
  const double x0 = ox * sx, x1 = (ox + 1) * sx, y0 = oy * sy, y1 = (oy + 1) * sy;
  double sum = 0.0;
  for (int y = static_cast<int>(y0); y < std::min<double>(y1, src.height()); ++y) {
    const double wy = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
    for (int x = static_cast<int>(x0); x < std::min<double>(x1, src.width()); ++x) {
      const double wx = std::min<double>(x + 1, x1) - std::max<double>(x, x0);
      sum += wx * wy * src.at(x, y);
    }
  }
  return sum / (sx * sy);
}

// Naive bilinear with half-pixel centres and clamped borders.
double reference_bilinear(const ImageView& src, int dst_w, int dst_h, int ox, int oy) {
  auto coordinate = [](int o, int s, int d, int& i0, int& i1) {
    double p = (o + 0.5) * s / d - 0.5;
    p = std::clamp(p, 0.0, static_cast<double>(s - 1));
    i0 = static_cast<int>(std::floor(p));
    i1 = std::min(i0 + 1, s - 1);
    return p - i0;
  };
  int x0, x1, y0, y1;
  const double fx = coordinate(ox, src.width(), dst_w, x0, x1);
  const double fy = coordinate(oy, src.height(), dst_h, y0, y1);
  const double top = src.at(x0, y0) * (1 - fx) + src.at(x1, y0) * fx;
  const double bottom = src.at(x0, y1) * (1 - fx) + src.at(x1, y1) * fx;
  return top * (1 - fy) + bottom * fy;
}

struct SizePair {
  int src_w, src_h, dst_w, dst_h;
};

TEST(ResizeArea, MatchesNaiveReferenceOnRandomImages) {
  std::mt19937 rng(11);
  for (const SizePair s :
       {SizePair{64, 48, 32, 24}, SizePair{101, 77, 40, 31}, SizePair{200, 200, 100, 100},
        SizePair{33, 17, 33, 17}, SizePair{640, 480, 80, 80}, SizePair{9, 7, 1, 1}}) {
    const auto image = testing::random_image(rng, s.src_w, s.src_h, PixelFormat::Gray8, 3);
    const Image out = resize_area(image.view(), s.dst_w, s.dst_h);
    for (int y = 0; y < s.dst_h; ++y) {
      for (int x = 0; x < s.dst_w; ++x) {
        const double expected = reference_area(image.view(), s.dst_w, s.dst_h, x, y);
        ASSERT_LE(std::abs(out.row(y)[x] - expected), 0.5 + 1e-9)
            << s.src_w << "x" << s.src_h << " -> " << s.dst_w << "x" << s.dst_h << " at " << x
            << "," << y;
      }
    }
  }
}

TEST(ResizeArea, HalvingAveragesBlocks) {
  const std::vector<std::uint8_t> px = {0, 2, 10, 20, 4, 6, 30, 41};
  const Image out = resize_area(ImageView(px, 4, 2, PixelFormat::Gray8), 2, 1);
  EXPECT_EQ(out.row(0)[0], 3);   // (0+2+4+6)/4
  EXPECT_EQ(out.row(0)[1], 25);  // (10+20+30+41)/4 = 25.25
}

TEST(ResizeBilinear, MatchesNaiveReferenceWithinOneLevel) {
  std::mt19937 rng(12);
  for (const SizePair s :
       {SizePair{20, 15, 80, 80}, SizePair{64, 48, 100, 75}, SizePair{100, 100, 91, 91},
        SizePair{7, 5, 30, 21}, SizePair{1, 1, 4, 3}, SizePair{640, 480, 213, 160}}) {
    const auto image = testing::random_image(rng, s.src_w, s.src_h, PixelFormat::Gray8);
    const Image out = resize_bilinear(image.view(), s.dst_w, s.dst_h);
    for (int y = 0; y < s.dst_h; ++y) {
      for (int x = 0; x < s.dst_w; ++x) {
        const double expected = reference_bilinear(image.view(), s.dst_w, s.dst_h, x, y);
        ASSERT_LE(std::abs(out.row(y)[x] - expected), 1.0)
            << s.src_w << "x" << s.src_h << " -> " << s.dst_w << "x" << s.dst_h << " at " << x
            << "," << y;
      }
    }
  }
}

TEST(Resize, SameSizeIsIdentityAndConstantsStayConstant) {
  std::mt19937 rng(13);
  const auto image = testing::random_image(rng, 31, 29, PixelFormat::Gray8);
  for (const Image& out : {resize(image.view(), 31, 29), resize_bilinear(image.view(), 31, 29)}) {
    for (int y = 0; y < 29; ++y) {
      ASSERT_TRUE(std::equal(out.row(y), out.row(y) + 31, image.view().row(y)));
    }
  }
  const std::vector<std::uint8_t> flat(50 * 40, 137);
  for (const Image& out : {resize(ImageView(flat, 50, 40, PixelFormat::Gray8), 13, 7),
                           resize(ImageView(flat, 50, 40, PixelFormat::Gray8), 123, 97)}) {
    for (auto v : out.pixels()) ASSERT_EQ(v, 137);
  }
}

TEST(Resize, RejectsBadInput) {
  std::vector<std::uint8_t> rgb(4 * 4 * 3);
  const ImageView color(rgb, 4, 4, PixelFormat::RGB8);
  EXPECT_THROW(resize(color, 2, 2), InputError);
  std::vector<std::uint8_t> gray(16);
  EXPECT_THROW(resize(ImageView(gray, 4, 4, PixelFormat::Gray8), 0, 2), InputError);
  EXPECT_THROW(resize_bilinear(ImageView(gray, 4, 4, PixelFormat::Gray8), 3, -1), InputError);
}

}  // namespace
}  // namespace facegender
