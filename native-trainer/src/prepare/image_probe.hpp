// Reads an image's format and size from its first bytes, without decoding,
// so a decompression bomb (a tiny file claiming 30000x30000 pixels) is refused
// before any decoder allocates for it. OpenCV's own guard,
// OPENCV_IO_MAX_IMAGE_PIXELS, is read once when libopencv_imgcodecs loads
// (OpenCV 4.6), so a process cannot lower it afterwards: this check is ours.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace facegender::prepare {

// The formats OpenCV 4.6 decodes whose headers we can size. Others OpenCV
// reads (JPEG 2000, OpenEXR, Radiance HDR, Sun raster, PFM, PAM) are refused.
enum class ImageFormat { Jpeg, Png, Bmp, Webp, Tiff, Pnm, Unknown };

const char* to_string(ImageFormat format);

// By signature only; Unknown when none matches.
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);

struct ImageHeader {
  ImageFormat format = ImageFormat::Unknown;
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  std::uint64_t pixels() const { return width * height; }
};

// Format and size from the header. Throws SkipImage: NotAnImage (no known
// signature), UnsupportedFormat, Truncated (header cut short, JPEG without
// its end-of-image marker, PNG without IEND), DecodeFailed (a header that
// makes no sense, e.g. a zero size), TooManyPixels (over `max_pixels`).
ImageHeader probe_image(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels);

}  // namespace facegender::prepare
