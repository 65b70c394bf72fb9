#include "prepare/decode.hpp"

#include <climits>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "facegender/preprocess.hpp"
#include "prepare/image_probe.hpp"
#include "prepare/skip.hpp"

namespace facegender::prepare {
namespace {

cv::Mat decode_bgr(std::span<const std::uint8_t> bytes, ImageFormat format) {
  const std::string name = to_string(format);
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw SkipImage(Reason::DecodeFailed, name + " file over 2 GiB");
  }
  cv::Mat bgr;
  try {
    // IMREAD_COLOR: 8-bit BGR whatever the source depth and channels, and
    // the EXIF orientation applied (IMREAD_IGNORE_ORIENTATION is not set).
    bgr = cv::imdecode(cv::_InputArray(bytes.data(), static_cast<int>(bytes.size())),
                       cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw SkipImage(Reason::DecodeFailed, name + ": OpenCV refused it: " + e.err);
  }
  if (bgr.empty()) throw SkipImage(Reason::DecodeFailed, "OpenCV could not decode this " + name);
  if (bgr.type() != CV_8UC3) {
    throw SkipImage(Reason::DecodeFailed, name + " decoded to an unexpected pixel type");
  }
  return bgr;
}

}  // namespace

namespace {

cv::Mat decode_checked(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels) {
  const ImageHeader header = probe_image(bytes, max_pixels);
  const cv::Mat bgr = decode_bgr(bytes, header.format);
  // The decoder's real size, in case a header under-stated it.
  if (bgr.total() > max_pixels) {
    throw SkipImage(Reason::TooManyPixels, std::string(to_string(header.format)) + " decoded to " +
                                               std::to_string(bgr.total()) +
                                               " pixels, over --max-pixels");
  }
  return bgr;
}

}  // namespace

Image decode_rgb(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels) {
  const cv::Mat bgr = decode_checked(bytes, max_pixels);
  Image rgb(bgr.cols, bgr.rows, PixelFormat::RGB8);
  for (int y = 0; y < bgr.rows; ++y) {
    const std::uint8_t* in = bgr.ptr<std::uint8_t>(y);
    std::uint8_t* out = rgb.row(y);
    for (int x = 0; x < bgr.cols; ++x) {
      out[3 * x] = in[3 * x + 2];
      out[3 * x + 1] = in[3 * x + 1];
      out[3 * x + 2] = in[3 * x];
    }
  }
  return rgb;
}

Image decode_gray(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels) {
  const cv::Mat bgr = decode_checked(bytes, max_pixels);
  const std::size_t bytes_in_view = bgr.step[0] * static_cast<std::size_t>(bgr.rows);
  const ImageView view(std::span<const std::uint8_t>(bgr.data, bytes_in_view), bgr.cols, bgr.rows,
                       PixelFormat::BGR8, bgr.step[0]);
  return to_gray(view);
}

}  // namespace facegender::prepare
