// Decoding by content to the gray pixels the browser would see: depth,
// channels, alpha, CMYK, EXIF orientation; the same gray as the core's to_gray.
#include "prepare/decode.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facegender/preprocess.hpp"
#include "fixtures.hpp"
#include "prepare/sha256.hpp"
#include "prepare/skip.hpp"
#include "test_support.hpp"

namespace facegender::testing {
namespace {

using prepare::decode_gray;
using prepare::Reason;

constexpr std::uint64_t kCap = 50'000'000;

cv::Mat as_gray_mat(const Image& image) {
  return as_mat(image.view()).clone();
}

TEST(Decode, GrayIsTheCoresToGrayOfTheColourImage) {
  const cv::Mat colour = pattern(1, 3);
  cv::Mat tinted = colour.clone();
  tinted.forEach<cv::Vec3b>([](cv::Vec3b& p, const int* pos) {
    p[0] = static_cast<std::uint8_t>(p[0] / 2);
    p[2] = static_cast<std::uint8_t>(255 - pos[1]);
  });
  const Image decoded = decode_gray(encode(tinted, ".png"), kCap);
  const Image expected = to_gray(as_view(tinted));
  EXPECT_EQ(max_abs_diff(as_gray_mat(decoded), as_gray_mat(expected)), 0);
}

TEST(Decode, SixteenBitPngBecomesEightBit) {
  cv::Mat deep(10, 12, CV_16UC3, cv::Scalar(0xAB12, 0x1234, 0xFFFF));
  const Image decoded = decode_gray(encode(deep, ".png"), kCap);
  ASSERT_EQ(decoded.width(), 12);
  const cv::Mat shallow(10, 12, CV_8UC3, cv::Scalar(0xAB, 0x12, 0xFF));  // the high bytes
  EXPECT_EQ(max_abs_diff(as_gray_mat(decoded), as_gray_mat(to_gray(as_view(shallow)))), 0);
}

TEST(Decode, AlphaIsDropped) {
  cv::Mat rgba(10, 12, CV_8UC4, cv::Scalar(30, 60, 90, 0));  // fully transparent
  rgba(cv::Rect(0, 0, 6, 10)).setTo(cv::Scalar(30, 60, 90, 255));
  const Image decoded = decode_gray(encode(rgba, ".png"), kCap);
  const cv::Mat bgr(10, 12, CV_8UC3, cv::Scalar(30, 60, 90));
  EXPECT_EQ(max_abs_diff(as_gray_mat(decoded), as_gray_mat(to_gray(as_view(bgr)))), 0);
}

TEST(Decode, CmykJpegDecodes) {
  const Image decoded = decode_gray(cmyk_jpeg(40, 30), kCap);
  EXPECT_EQ(decoded.width(), 40);
  EXPECT_EQ(decoded.height(), 30);
  // The cyan ramp makes the left and right ends differ.
  EXPECT_NE(decoded.row(15)[0], decoded.row(15)[39]);
}

TEST(Decode, ExifOrientationIsApplied) {
  cv::Mat wide(40, 80, CV_8UC3, cv::Scalar(0, 0, 0));
  wide(cv::Rect(0, 0, 10, 10)).setTo(cv::Scalar(255, 255, 255));  // top-left marker
  const Bytes plain = encode(wide, ".jpg");
  const Image upright = decode_gray(plain, kCap);
  EXPECT_EQ(upright.width(), 80);
  // Orientation 6: the stored image must be turned 90 degrees clockwise to
  // display, so the top-left corner lands top-right.
  const Image turned = decode_gray(with_exif_orientation(plain, 6), kCap);
  ASSERT_EQ(turned.width(), 40);
  ASSERT_EQ(turned.height(), 80);
  EXPECT_GT(turned.row(3)[36], 200);
  EXPECT_LT(turned.row(3)[3], 50);
}

TEST(Decode, ContentDecidesNotTheName) {
  // decode_gray never sees a name: a PNG stays a PNG whatever it is called;
  // the folder/CSV tests check files named .jpg end to end.
  const Image decoded = decode_gray(encode(pattern(0, 2), ".png"), kCap);
  EXPECT_EQ(decoded.width(), 120);
}

TEST(Decode, OnePixelImageDecodes) {
  const Image decoded =
      decode_gray(encode(cv::Mat(1, 1, CV_8UC3, cv::Scalar(0, 0, 255)), ".png"), kCap);
  ASSERT_EQ(decoded.width(), 1);
  EXPECT_EQ(decoded.row(0)[0], 76);  // BT.601: 0.299 * 255
}

TEST(Decode, CorruptDataIsRefusedWithAReason) {
  Bytes png = encode(pattern(0, 4), ".png");
  png[60] ^= 0xFF;  // inside the compressed data: CRC and inflate fail
  png[61] ^= 0xFF;
  try {
    decode_gray(png, kCap);
    FAIL() << "a corrupt PNG decoded";
  } catch (const prepare::SkipImage& e) {
    EXPECT_EQ(e.reason(), Reason::DecodeFailed) << e.what();
  }
}

TEST(Sha256, KnownVectors) {
  const std::string abc = "abc";
  EXPECT_EQ(prepare::sha256_hex(Bytes(abc.begin(), abc.end())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(prepare::sha256_hex(Bytes{}),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace facegender::testing
