#include "facegender/image.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace facegender {

int channels(PixelFormat format) {
  switch (format) {
    case PixelFormat::Gray8:
      return 1;
    case PixelFormat::RGB8:
    case PixelFormat::BGR8:
      return 3;
    case PixelFormat::RGBA8:
      return 4;
  }
  throw InputError("unknown pixel format");
}

const char* to_string(PixelFormat format) {
  switch (format) {
    case PixelFormat::Gray8:
      return "Gray8";
    case PixelFormat::RGB8:
      return "RGB8";
    case PixelFormat::BGR8:
      return "BGR8";
    case PixelFormat::RGBA8:
      return "RGBA8";
  }
  return "unknown";
}

std::size_t checked_byte_size(int width, int height, int channels, const std::string& what) {
  if (width <= 0 || height <= 0) {
    throw InputError(what + ": size " + std::to_string(width) + "x" + std::to_string(height) +
                     " is not positive");
  }
  // Pixel indices are ints throughout the core, so the element count must fit one.
  const auto limit = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
  const auto bytes = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height) *
                     static_cast<std::uint64_t>(channels);
  if (bytes > limit || bytes > std::numeric_limits<std::size_t>::max()) {
    throw InputError(what + ": size " + std::to_string(width) + "x" + std::to_string(height) + "x" +
                     std::to_string(channels) + " overflows the byte count");
  }
  return static_cast<std::size_t>(bytes);
}

ImageView::ImageView(std::span<const std::uint8_t> pixels, int width, int height,
                     PixelFormat format, std::size_t stride)
    : data_(pixels.data()), width_(width), height_(height), format_(format), stride_(stride) {
  const int ch = facegender::channels(format);
  checked_byte_size(width, height, ch, "image view");
  const std::size_t row_bytes = static_cast<std::size_t>(width) * static_cast<std::size_t>(ch);
  if (stride_ == 0) stride_ = row_bytes;
  if (stride_ < row_bytes) {
    throw InputError("image view: stride " + std::to_string(stride_) +
                     " is shorter than a row of " + std::to_string(row_bytes) + " bytes");
  }
  // Last row needs only row_bytes, not a full stride. Checked before it is
  // computed: a stride near SIZE_MAX would wrap the product round to a small
  // count that any buffer passes.
  const auto rows_before_last = static_cast<std::size_t>(height - 1);
  if (rows_before_last > 0 &&
      stride_ > (std::numeric_limits<std::size_t>::max() - row_bytes) / rows_before_last) {
    throw InputError("image view: stride " + std::to_string(stride_) + " x height " +
                     std::to_string(height) + " overflows the byte count");
  }
  const std::size_t needed_wide = stride_ * rows_before_last + row_bytes;
  if (pixels.size() < needed_wide) {
    throw InputError("image view: buffer of " + std::to_string(pixels.size()) +
                     " bytes is smaller than the " + std::to_string(width) + "x" +
                     std::to_string(height) + " " + to_string(format) + " image it should hold (" +
                     std::to_string(needed_wide) + " bytes)");
  }
}

Image::Image(int width, int height, PixelFormat format)
    : width_(width),
      height_(height),
      format_(format),
      pixels_(checked_byte_size(width, height, facegender::channels(format), "image"), 0) {}

ImageView Image::view() const {
  if (empty()) throw InputError("image: view of an empty image");
  return ImageView(pixels_, width_, height_, format_);
}

Box clip_box(const Box& b, int width, int height) {
  const int x0 = std::clamp(b.x, 0, width);
  const int y0 = std::clamp(b.y, 0, height);
  // The far edges in 64 bits: x + width of a box near INT_MAX overflows int.
  const auto x1 = static_cast<int>(
      std::clamp(static_cast<std::int64_t>(b.x) + b.width, std::int64_t{0}, std::int64_t{width}));
  const auto y1 = static_cast<int>(
      std::clamp(static_cast<std::int64_t>(b.y) + b.height, std::int64_t{0}, std::int64_t{height}));
  return {x0, y0, x1 - x0, y1 - y0};
}

bool inside(const Box& region, int width, int height) {
  return region.width > 0 && region.height > 0 && region.x >= 0 && region.y >= 0 &&
         static_cast<std::int64_t>(region.x) + region.width <= width &&
         static_cast<std::int64_t>(region.y) + region.height <= height;
}

ImageView sub_view(const ImageView& image, const Box& region) {
  if (!inside(region, image.width(), image.height())) {
    throw InputError("sub_view: region " + std::to_string(region.width) + "x" +
                     std::to_string(region.height) + " at (" + std::to_string(region.x) + ", " +
                     std::to_string(region.y) + ") is not inside the " +
                     std::to_string(image.width()) + "x" + std::to_string(image.height()) +
                     " image");
  }
  const std::size_t pixel = static_cast<std::size_t>(image.channels());
  const std::size_t length = static_cast<std::size_t>(region.height - 1) * image.stride() +
                             static_cast<std::size_t>(region.width) * pixel;
  return ImageView(std::span<const std::uint8_t>(image.row(region.y) + region.x * pixel, length),
                   region.width, region.height, image.format(), image.stride());
}

double iou(const Box& a, const Box& b) {
  const int x0 = std::max(a.x, b.x);
  const int y0 = std::max(a.y, b.y);
  const int x1 = std::min(a.x + a.width, b.x + b.width);
  const int y1 = std::min(a.y + a.height, b.y + b.height);
  if (x1 <= x0 || y1 <= y0) return 0.0;
  const double inter = static_cast<double>(x1 - x0) * (y1 - y0);
  const double uni = static_cast<double>(a.area()) + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace facegender
