#include "facegender/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "facegender/pipeline.hpp"

namespace facegender {
namespace {

void require_gray(const ImageView& image, const char* function) {
  if (image.format() != PixelFormat::Gray8) {
    throw InputError(std::string(function) + ": expected a Gray8 image, got " +
                     to_string(image.format()));
  }
}

void require_size(int width, int height, const char* function) {
  checked_byte_size(width, height, 1, std::string(function) + " output");
}

// OpenCV's cvtColor fixed point: BT.601 weights scaled by 2^15, rounded.
constexpr int kGrayShift = 15;
constexpr int kRedWeight = 9798;
constexpr int kGreenWeight = 19235;
constexpr int kBlueWeight = 3735;

std::uint8_t luma(int r, int g, int b) {
  return static_cast<std::uint8_t>(
      (r * kRedWeight + g * kGreenWeight + b * kBlueWeight + (1 << (kGrayShift - 1))) >>
      kGrayShift);
}

// Source pixels (and weights) that make up one output pixel along one axis for
// exact area averaging. Weights are overlap lengths in units of 1/dst of a
// source pixel, so they sum to `src` for every output pixel.
struct AreaTap {
  int index;
  std::uint32_t weight;
};

std::vector<std::vector<AreaTap>> area_taps(int src, int dst) {
  std::vector<std::vector<AreaTap>> taps(static_cast<std::size_t>(dst));
  for (int o = 0; o < dst; ++o) {
    const std::int64_t begin = static_cast<std::int64_t>(o) * src;  // in 1/dst source pixels
    const std::int64_t end = begin + src;
    for (auto i = static_cast<int>(begin / dst); static_cast<std::int64_t>(i) * dst < end; ++i) {
      const std::int64_t lo = std::max<std::int64_t>(begin, static_cast<std::int64_t>(i) * dst);
      const std::int64_t hi = std::min<std::int64_t>(end, static_cast<std::int64_t>(i + 1) * dst);
      if (hi > lo)
        taps[static_cast<std::size_t>(o)].push_back({i, static_cast<std::uint32_t>(hi - lo)});
    }
  }
  return taps;
}

// Bilinear taps of cv::resize INTER_LINEAR_EXACT: half-pixel centres, the
// fraction rounded (half to even) to 8 bits, clamped at the borders.
struct LinearTap {
  int index0;
  int index1;
  std::uint32_t weight0;
  std::uint32_t weight1;
};

std::uint32_t round_half_even(double value) {
  const double floor_value = std::floor(value);
  const double diff = value - floor_value;
  auto result = static_cast<std::uint32_t>(floor_value);
  if (diff > 0.5 || (diff == 0.5 && (result & 1u) != 0)) ++result;
  return result;
}

std::vector<LinearTap> linear_taps(int src, int dst) {
  constexpr std::uint32_t kOne = 256;
  const double inverse_scale = static_cast<double>(dst) / src;
  const double scale = 1.0 / inverse_scale;
  std::vector<LinearTap> taps(static_cast<std::size_t>(dst));
  for (int o = 0; o < dst; ++o) {
    const double position = scale * (o + 0.5) - 0.5;
    const double floor_position = std::floor(position);
    const int i = static_cast<int>(floor_position);
    LinearTap& tap = taps[static_cast<std::size_t>(o)];
    if (i < 0 || src == 1) {
      tap = {0, 0, kOne, 0};
    } else if (i < src - 1) {
      const std::uint32_t w1 = round_half_even((position - floor_position) * kOne);
      tap = {i, i + 1, kOne - w1, w1};
    } else {
      tap = {src - 1, src - 1, kOne, 0};
    }
  }
  return taps;
}

std::int64_t floor_div2(std::int64_t value) {
  return value >= 0 ? value / 2 : -((-value + 1) / 2);
}

}  // namespace

Image to_gray(const ImageView& src) {
  Image gray(src.width(), src.height(), PixelFormat::Gray8);
  const int ch = src.channels();
  for (int y = 0; y < src.height(); ++y) {
    const std::uint8_t* in = src.row(y);
    std::uint8_t* out = gray.row(y);
    switch (src.format()) {
      case PixelFormat::Gray8:
        std::copy(in, in + src.width(), out);
        break;
      case PixelFormat::BGR8:
        for (int x = 0; x < src.width(); ++x, in += ch) out[x] = luma(in[2], in[1], in[0]);
        break;
      case PixelFormat::RGB8:
      case PixelFormat::RGBA8:
        for (int x = 0; x < src.width(); ++x, in += ch) out[x] = luma(in[0], in[1], in[2]);
        break;
    }
  }
  return gray;
}

Image resize_area(const ImageView& gray, int width, int height) {
  require_gray(gray, "resize_area");
  require_size(width, height, "resize_area");
  const auto taps_x = area_taps(gray.width(), width);
  const auto taps_y = area_taps(gray.height(), height);
  // Each output pixel is sum(w_x * w_y * p) / (src_w * src_h), rounded to nearest.
  const std::uint64_t total =
      static_cast<std::uint64_t>(gray.width()) * static_cast<std::uint64_t>(gray.height());
  std::vector<std::uint64_t> acc(static_cast<std::size_t>(width));
  Image out(width, height, PixelFormat::Gray8);
  for (int oy = 0; oy < height; ++oy) {
    std::fill(acc.begin(), acc.end(), 0);
    for (const AreaTap& ty : taps_y[static_cast<std::size_t>(oy)]) {
      const std::uint8_t* in = gray.row(ty.index);
      for (int ox = 0; ox < width; ++ox) {
        std::uint64_t sum = 0;
        for (const AreaTap& tx : taps_x[static_cast<std::size_t>(ox)])
          sum += static_cast<std::uint64_t>(tx.weight) * in[tx.index];
        acc[static_cast<std::size_t>(ox)] += sum * ty.weight;
      }
    }
    std::uint8_t* dst = out.row(oy);
    for (int ox = 0; ox < width; ++ox) {
      dst[ox] =
          static_cast<std::uint8_t>((2 * acc[static_cast<std::size_t>(ox)] + total) / (2 * total));
    }
  }
  return out;
}

Image resize_bilinear(const ImageView& gray, int width, int height) {
  require_gray(gray, "resize_bilinear");
  require_size(width, height, "resize_bilinear");
  const auto taps_x = linear_taps(gray.width(), width);
  const auto taps_y = linear_taps(gray.height(), height);
  // Horizontal pass in 8-bit fixed point per needed source row, then vertical
  // pass in 16-bit fixed point, rounded: the same integer steps as OpenCV.
  std::vector<std::uint32_t> row0(static_cast<std::size_t>(width));
  std::vector<std::uint32_t> row1(static_cast<std::size_t>(width));
  int row0_index = -1;
  int row1_index = -1;
  auto horizontal = [&](int src_y, std::vector<std::uint32_t>& row) {
    const std::uint8_t* in = gray.row(src_y);
    for (int ox = 0; ox < width; ++ox) {
      const LinearTap& t = taps_x[static_cast<std::size_t>(ox)];
      row[static_cast<std::size_t>(ox)] = in[t.index0] * t.weight0 + in[t.index1] * t.weight1;
    }
  };
  Image out(width, height, PixelFormat::Gray8);
  for (int oy = 0; oy < height; ++oy) {
    const LinearTap& ty = taps_y[static_cast<std::size_t>(oy)];
    if (row0_index != ty.index0) {
      if (row1_index == ty.index0) {
        std::swap(row0, row1);
        std::swap(row0_index, row1_index);
      } else {
        horizontal(ty.index0, row0);
        row0_index = ty.index0;
      }
    }
    if (row1_index != ty.index1) {
      horizontal(ty.index1, row1);
      row1_index = ty.index1;
    }
    std::uint8_t* dst = out.row(oy);
    for (int ox = 0; ox < width; ++ox) {
      const std::uint32_t value = row0[static_cast<std::size_t>(ox)] * ty.weight0 +
                                  row1[static_cast<std::size_t>(ox)] * ty.weight1;
      dst[ox] = static_cast<std::uint8_t>((value + (1u << 15)) >> 16);
    }
  }
  return out;
}

Image resize(const ImageView& gray, int width, int height) {
  if (width <= gray.width() && height <= gray.height()) return resize_area(gray, width, height);
  return resize_bilinear(gray, width, height);
}

Image square_crop(const ImageView& gray, const Box& box, double margin) {
  require_gray(gray, "square_crop");
  if (box.width <= 0 || box.height <= 0) {
    throw InputError("square_crop: box " + std::to_string(box.width) + "x" +
                     std::to_string(box.height) + " is empty");
  }
  if (!(margin >= 0.0 && margin <= 4.0)) {
    throw InputError("square_crop: margin " + std::to_string(margin) + " is outside [0, 4]");
  }
  const std::int64_t right = static_cast<std::int64_t>(box.x) + box.width;
  const std::int64_t bottom = static_cast<std::int64_t>(box.y) + box.height;
  if (box.x >= gray.width() || box.y >= gray.height() || right <= 0 || bottom <= 0) {
    throw InputError("square_crop: box at (" + std::to_string(box.x) + ", " +
                     std::to_string(box.y) + ") lies outside the " + std::to_string(gray.width()) +
                     "x" + std::to_string(gray.height()) + " image");
  }
  const int longer = std::max(box.width, box.height);
  const double side_real = std::floor(longer * (1.0 + 2.0 * margin) + 0.5);
  // A face box is never much larger than its photo; refusing here keeps a bad
  // box from allocating gigabytes.
  const double side_limit = 4.0 * std::max(gray.width(), gray.height()) + 64.0;
  if (side_real > side_limit) {
    throw InputError("square_crop: a " + std::to_string(box.width) + "x" +
                     std::to_string(box.height) + " box is too large for the " +
                     std::to_string(gray.width()) + "x" + std::to_string(gray.height()) + " image");
  }
  const int side = static_cast<int>(side_real);
  const auto left =
      static_cast<int>(box.x + floor_div2(static_cast<std::int64_t>(box.width) - side));
  const auto top =
      static_cast<int>(box.y + floor_div2(static_cast<std::int64_t>(box.height) - side));
  Image crop(side, side, PixelFormat::Gray8);
  const int max_x = gray.width() - 1;
  const int max_y = gray.height() - 1;
  for (int y = 0; y < side; ++y) {
    const std::uint8_t* in = gray.row(std::clamp(top + y, 0, max_y));
    std::uint8_t* out = crop.row(y);
    for (int x = 0; x < side; ++x) out[x] = in[std::clamp(left + x, 0, max_x)];
  }
  return crop;
}

Image crop_face(const ImageView& gray, const Box& box, const CropGeometry& geometry) {
  validate(geometry);
  const Image square = square_crop(gray, box, geometry.margin);
  return resize(square.view(), geometry.size, geometry.size);
}

Image center_crop(const ImageView& gray, int size) {
  require_gray(gray, "center_crop");
  if (size <= 0 || size > gray.width() || size > gray.height()) {
    throw InputError("center_crop: size " + std::to_string(size) + " does not fit the " +
                     std::to_string(gray.width()) + "x" + std::to_string(gray.height()) + " image");
  }
  const int left = (gray.width() - size) / 2;
  const int top = (gray.height() - size) / 2;
  Image out(size, size, PixelFormat::Gray8);
  for (int y = 0; y < size; ++y) {
    const std::uint8_t* in = gray.row(top + y) + left;
    std::copy(in, in + size, out.row(y));
  }
  return out;
}

void to_tensor(const ImageView& gray, const Normalization& norm, std::span<float> out) {
  require_gray(gray, "to_tensor");
  if (!(std::isfinite(norm.mean) && std::isfinite(norm.std) && norm.std > 0.0f)) {
    throw InputError("to_tensor: normalisation needs a finite mean and a positive std, got mean " +
                     std::to_string(norm.mean) + " std " + std::to_string(norm.std));
  }
  const std::size_t count =
      static_cast<std::size_t>(gray.width()) * static_cast<std::size_t>(gray.height());
  if (out.size() != count) {
    throw InputError("to_tensor: output holds " + std::to_string(out.size()) +
                     " floats, the image has " + std::to_string(count) + " pixels");
  }
  float* dst = out.data();
  for (int y = 0; y < gray.height(); ++y) {
    const std::uint8_t* in = gray.row(y);
    for (int x = 0; x < gray.width(); ++x)
      *dst++ = (static_cast<float>(in[x]) / 255.0f - norm.mean) / norm.std;
  }
}

std::vector<float> to_tensor(const ImageView& gray, const Normalization& norm) {
  std::vector<float> out(static_cast<std::size_t>(gray.width()) *
                         static_cast<std::size_t>(gray.height()));
  to_tensor(gray, norm, out);
  return out;
}

}  // namespace facegender
