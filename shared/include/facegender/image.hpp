// Image views and owning images: the one pixel container every step of the
// core works on. Views never own memory; Image owns its pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace facegender {

// Any invalid input to the core raises this, with a message that names the
// argument and the problem.
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class PixelFormat { Gray8, RGB8, BGR8, RGBA8 };

int channels(PixelFormat format);
const char* to_string(PixelFormat format);

// A non-owning view of 8-bit pixels. `stride` is bytes per row (>= width *
// channels); rows may be padded, as canvas and OpenCV buffers sometimes are.
class ImageView {
 public:
  // Throws InputError for non-positive sizes, a stride shorter than a row, a
  // byte count that overflows, or a buffer smaller than the image.
  ImageView(std::span<const std::uint8_t> pixels, int width, int height, PixelFormat format,
            std::size_t stride = 0);

  int width() const { return width_; }
  int height() const { return height_; }
  std::size_t stride() const { return stride_; }
  PixelFormat format() const { return format_; }
  int channels() const { return facegender::channels(format_); }
  const std::uint8_t* row(int y) const { return data_ + static_cast<std::size_t>(y) * stride_; }
  std::uint8_t at(int x, int y, int c = 0) const { return row(y)[x * channels() + c]; }

 private:
  const std::uint8_t* data_;
  int width_;
  int height_;
  PixelFormat format_;
  std::size_t stride_;
};

// An owning, tightly packed image.
class Image {
 public:
  Image() = default;
  Image(int width, int height, PixelFormat format);  // zero-filled; validated like ImageView

  int width() const { return width_; }
  int height() const { return height_; }
  PixelFormat format() const { return format_; }
  int channels() const { return facegender::channels(format_); }
  bool empty() const { return pixels_.empty(); }
  std::size_t stride() const { return static_cast<std::size_t>(width_) * channels(); }

  std::uint8_t* row(int y) { return pixels_.data() + static_cast<std::size_t>(y) * stride(); }
  const std::uint8_t* row(int y) const {
    return pixels_.data() + static_cast<std::size_t>(y) * stride();
  }
  std::span<std::uint8_t> pixels() { return pixels_; }
  std::span<const std::uint8_t> pixels() const { return pixels_; }
  ImageView view() const;

 private:
  int width_ = 0;
  int height_ = 0;
  PixelFormat format_ = PixelFormat::Gray8;
  std::vector<std::uint8_t> pixels_;
};

// Checked byte size of a width x height x channels buffer; throws InputError
// (naming `what`) for non-positive sizes or overflow.
std::size_t checked_byte_size(int width, int height, int channels, const std::string& what);

// An axis-aligned box in pixels of some image.
struct Box {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  int area() const { return width * height; }
  friend bool operator==(const Box&, const Box&) = default;
};

// Intersection over union of two boxes (0 when either is empty).
double iou(const Box& a, const Box& b);

// The part of `box` inside a width x height image (empty when outside).
Box clip_box(const Box& box, int width, int height);

// Whether `region` is non-empty and lies inside a width x height image
// (without overflow for any ints).
bool inside(const Box& region, int width, int height);

// The pixels of `region` as a view into `image` (same stride, no copy).
// Throws InputError unless `region` is non-empty and inside the image.
ImageView sub_view(const ImageView& image, const Box& region);

}  // namespace facegender
