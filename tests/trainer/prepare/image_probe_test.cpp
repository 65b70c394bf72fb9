// Image headers are read before decoding: sizes, formats, and refusals
// (decompression bombs, truncation, non-images) with the right reason.
#include "prepare/image_probe.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "fixtures.hpp"
#include "prepare/skip.hpp"

namespace facegender::testing {
namespace {

using prepare::ImageFormat;
using prepare::probe_image;
using prepare::Reason;

constexpr std::uint64_t kCap = 50'000'000;

// The reason probe_image gives for refusing `bytes`.
Reason refusal(const Bytes& bytes, std::uint64_t cap = kCap) {
  try {
    probe_image(bytes, cap);
  } catch (const prepare::SkipImage& e) {
    return e.reason();
  }
  ADD_FAILURE() << "probe_image accepted the bytes";
  return Reason::BadRow;
}

TEST(ImageProbe, ReadsTheSizeOfEveryFormatOpenCvWrites) {
  const cv::Mat image(23, 37, CV_8UC3, cv::Scalar(10, 100, 200));
  const std::vector<std::pair<std::string, ImageFormat>> formats = {
      {".jpg", ImageFormat::Jpeg},  {".png", ImageFormat::Png},   {".bmp", ImageFormat::Bmp},
      {".webp", ImageFormat::Webp}, {".tiff", ImageFormat::Tiff}, {".ppm", ImageFormat::Pnm}};
  for (const auto& [extension, format] : formats) {
    const prepare::ImageHeader header = probe_image(encode(image, extension), kCap);
    EXPECT_EQ(header.format, format) << extension;
    EXPECT_EQ(header.width, 37u) << extension;
    EXPECT_EQ(header.height, 23u) << extension;
  }
  std::vector<int> lossless = {cv::IMWRITE_WEBP_QUALITY, 101};  // VP8L
  Bytes webp;
  cv::imencode(".webp", image, webp, lossless);
  EXPECT_EQ(probe_image(webp, kCap).width, 37u);
  const cv::Mat gray(23, 37, CV_8UC1, cv::Scalar(9));
  EXPECT_EQ(probe_image(encode(gray, ".pgm"), kCap).height, 23u);
}

TEST(ImageProbe, RefusesAHugePngFromItsHeaderAlone) {
  // 30000 x 30000 = 900 MP: a decoder would allocate 2.7 GB for it.
  const Bytes bomb = png_header_only(30000, 30000);
  EXPECT_LT(bomb.size(), 64u);
  EXPECT_EQ(refusal(bomb), Reason::TooManyPixels);
  try {
    probe_image(bomb, kCap);
  } catch (const prepare::SkipImage& e) {
    EXPECT_NE(std::string(e.what()).find("30000x30000"), std::string::npos) << e.what();
  }
}

TEST(ImageProbe, CapIsInclusiveAndAppliesToEveryFormat) {
  const cv::Mat image(100, 100, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const char* extension : {".jpg", ".png", ".bmp", ".webp", ".tiff", ".ppm"}) {
    EXPECT_NO_THROW(probe_image(encode(image, extension), 10000)) << extension;
    EXPECT_EQ(refusal(encode(image, extension), 9999), Reason::TooManyPixels) << extension;
  }
}

TEST(ImageProbe, JpegFrameHeaderClaimingTheMaximumSizeIsRefused) {
  Bytes jpeg = encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(0)), ".jpg");
  // Rewrite the SOF0 height and width to 65535.
  for (std::size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      for (std::size_t k = i + 5; k < i + 9; ++k) jpeg[k] = 0xFF;
      break;
    }
  }
  EXPECT_EQ(refusal(jpeg), Reason::TooManyPixels);
}

TEST(ImageProbe, TruncationIsDetected) {
  const cv::Mat image = pattern(0, 1);
  const Bytes jpeg = encode(image, ".jpg");
  EXPECT_EQ(refusal(Bytes(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2))),
            Reason::Truncated);
  EXPECT_EQ(refusal(Bytes(jpeg.begin(), jpeg.begin() + 20)), Reason::Truncated);  // inside a header
  const Bytes png = encode(image, ".png");
  EXPECT_EQ(refusal(Bytes(png.begin(), png.end() - 30)), Reason::Truncated);
  EXPECT_EQ(refusal(Bytes(png.begin(), png.begin() + 16)), Reason::Truncated);
  // Bytes after the end marker are harmless.
  Bytes padded = jpeg;
  padded.insert(padded.end(), 100, 0);
  EXPECT_NO_THROW(probe_image(padded, kCap));
}

TEST(ImageProbe, NonImagesAndUnsupportedFormats) {
  const std::string text = "name,label\nthis is not an image\n";
  EXPECT_EQ(refusal(Bytes(text.begin(), text.end())), Reason::NotAnImage);
  EXPECT_EQ(refusal(Bytes{0xFF}), Reason::NotAnImage);
  EXPECT_EQ(refusal(Bytes{'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0}), Reason::UnsupportedFormat);
  EXPECT_EQ(refusal(Bytes{0xFF, 0x4F, 0xFF, 0x51, 0, 0}), Reason::UnsupportedFormat);  // JPEG 2000
  EXPECT_EQ(refusal(encode(cv::Mat(4, 4, CV_8UC3, cv::Scalar(0)), ".hdr")),
            Reason::UnsupportedFormat);
}

TEST(ImageProbe, ZeroSizeIsMalformed) {
  EXPECT_EQ(refusal(png_header_only(0, 10)), Reason::DecodeFailed);
  EXPECT_EQ(refusal(png_header_only(10, 0)), Reason::DecodeFailed);
}

}  // namespace
}  // namespace facegender::testing
