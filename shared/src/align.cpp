#include "facegender/align.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "facegender/preprocess.hpp"

namespace facegender {
namespace {

constexpr int kWeightBits = 8;
constexpr std::int64_t kOne = 1 << kWeightBits;

double distance(Point a, Point b) {
  const double dx = static_cast<double>(b.x) - a.x, dy = static_cast<double>(b.y) - a.y;
  return std::sqrt(dx * dx + dy * dy);
}

// The image the square is sampled from: `gray` itself, or the part of it
// under the square shrunk by an integer factor when the square is much
// larger than the output (bilinear alone would alias).
struct Source {
  Image shrunk;
  double origin_x = 0, origin_y = 0;  // where shrunk's (0, 0) corner is in gray
  double step = 1;                    // gray pixels per source pixel
};

Source prefiltered(const ImageView& gray, const CropSquare& sq, int size) {
  Source s;
  const int factor = static_cast<int>(std::floor(sq.side / size / 1.5));
  if (factor < 2) return s;
  // The square's bounding box, clipped to the image.
  const double reach = sq.side * (std::fabs(sq.cos) + std::fabs(sq.sin)) / 2.0 + factor;
  const Box region = clip_box(
      {static_cast<int>(std::floor(sq.cx - reach)), static_cast<int>(std::floor(sq.cy - reach)),
       static_cast<int>(std::ceil(2 * reach)) + 1, static_cast<int>(std::ceil(2 * reach)) + 1},
      gray.width(), gray.height());
  if (region.width < 2 * factor || region.height < 2 * factor) return s;
  const int w = region.width / factor, h = region.height / factor;
  const Box used{region.x, region.y, w * factor, h * factor};
  s.shrunk = resize_area(sub_view(gray, used), w, h);
  s.origin_x = used.x;
  s.origin_y = used.y;
  s.step = factor;
  return s;
}

// Rounds a coordinate (in source pixels) to 1/256 of a pixel.
std::int64_t fixed(double v) {
  return static_cast<std::int64_t>(std::floor(v * static_cast<double>(kOne) + 0.5));
}

}  // namespace

CropSquare aligned_square(const FaceDetection& face, const AlignSpec& spec) {
  if (!(spec.scale > 0 && spec.scale <= 20) || !(spec.shift >= -2 && spec.shift <= 2) ||
      spec.size < 8 || spec.size > 1024) {
    throw InputError("aligned crop: scale " + std::to_string(spec.scale) + ", shift " +
                     std::to_string(spec.shift) + " or size " + std::to_string(spec.size) +
                     " out of range");
  }
  const Point right = face.keypoints[kRightEye], left = face.keypoints[kLeftEye];
  const double eye_distance = distance(right, left);
  if (!(eye_distance > 0)) throw InputError("aligned crop: the two eyes are at the same place");
  CropSquare sq;
  sq.cos = (static_cast<double>(left.x) - right.x) / eye_distance;
  sq.sin = (static_cast<double>(left.y) - right.y) / eye_distance;
  const double ex = (static_cast<double>(right.x) + left.x) / 2.0;
  const double ey = (static_cast<double>(right.y) + left.y) / 2.0;
  const Point mouth = face.keypoints[kMouth];
  const double d = distance({static_cast<float>(ex), static_cast<float>(ey)}, mouth);
  // A face seen from the side or from above has a short eye-to-mouth line
  // in the picture; the eye distance keeps the crop from collapsing then.
  const double unit = std::max(d, 0.6 * eye_distance);
  sq.side = spec.scale * unit;
  sq.cx = ex - sq.sin * spec.shift * unit;
  sq.cy = ey + sq.cos * spec.shift * unit;
  return sq;
}

Image warp_square(const ImageView& gray, const CropSquare& sq, int size) {
  if (gray.format() != PixelFormat::Gray8) {
    throw InputError(std::string("warp_square: expected a Gray8 image, got ") +
                     to_string(gray.format()));
  }
  if (!(sq.side > 0) || size < 1 || size > 4096) {
    throw InputError("warp_square: side must be positive and size in [1, 4096]");
  }
  // Far beyond any photo, a square's pixel positions no longer fit the
  // integers they are rounded to (the factor, the region, the 1/256 steps).
  constexpr double kMaxCoordinate = 1 << 24;
  if (!(sq.side <= kMaxCoordinate && std::fabs(sq.cx) <= kMaxCoordinate &&
        std::fabs(sq.cy) <= kMaxCoordinate && std::fabs(sq.cos) <= 1.0 + 1e-6 &&
        std::fabs(sq.sin) <= 1.0 + 1e-6)) {
    throw InputError("warp_square: the square (centre " + std::to_string(sq.cx) + ", " +
                     std::to_string(sq.cy) + ", side " + std::to_string(sq.side) +
                     ") is not finite, too far out or not turned by unit axes");
  }
  const Source source = prefiltered(gray, sq, size);
  const ImageView src = source.shrunk.empty() ? gray : source.shrunk.view();
  const double pixel = sq.side / size / source.step;  // source pixels per output pixel
  // Output pixel centres, in source pixel-index coordinates (centre of
  // pixel i is at i), from the square's centre along its axes.
  const double cx = (sq.cx - source.origin_x) / source.step - 0.5;
  const double cy = (sq.cy - source.origin_y) / source.step - 0.5;
  const std::int64_t max_x = src.width() - 1, max_y = src.height() - 1;
  Image out(size, size, PixelFormat::Gray8);
  for (int v = 0; v < size; ++v) {
    const double dv = (v + 0.5 - size / 2.0) * pixel;
    std::uint8_t* o = out.row(v);
    for (int u = 0; u < size; ++u) {
      const double du = (u + 0.5 - size / 2.0) * pixel;
      const std::int64_t fx = fixed(cx + du * sq.cos - dv * sq.sin);
      const std::int64_t fy = fixed(cy + du * sq.sin + dv * sq.cos);
      const std::int64_t x0 = fx >> kWeightBits, y0 = fy >> kWeightBits;
      const std::int64_t wx = fx & (kOne - 1), wy = fy & (kOne - 1);
      const auto ix0 = static_cast<int>(std::clamp<std::int64_t>(x0, 0, max_x));
      const auto ix1 = static_cast<int>(std::clamp<std::int64_t>(x0 + 1, 0, max_x));
      const auto iy0 = static_cast<int>(std::clamp<std::int64_t>(y0, 0, max_y));
      const auto iy1 = static_cast<int>(std::clamp<std::int64_t>(y0 + 1, 0, max_y));
      const std::int64_t top = src.at(ix0, iy0) * (kOne - wx) + src.at(ix1, iy0) * wx;
      const std::int64_t bottom = src.at(ix0, iy1) * (kOne - wx) + src.at(ix1, iy1) * wx;
      const std::int64_t value =
          (top * (kOne - wy) + bottom * wy + (kOne * kOne / 2)) >> (2 * kWeightBits);
      o[u] = static_cast<std::uint8_t>(value);
    }
  }
  return out;
}

Image aligned_crop(const ImageView& gray, const FaceDetection& face, const AlignSpec& spec) {
  return warp_square(gray, aligned_square(face, spec), spec.size);
}

}  // namespace facegender
