#include "inspector_state.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace facegender::inspector {

namespace {

// Gap between tiles, and the gray it is filled with.
constexpr int kGap = 1;
constexpr std::uint8_t kGapGray = 48;

}  // namespace

void build_feature_grid(std::span<const float> values, int channels, int height, int width,
                        FeatureLayer& layer) {
  // Near-square grid, wider than tall: 16 -> 4x4, 32 -> 6x6, 128 -> 12x11.
  const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(channels))));
  const int rows = (channels + columns - 1) / columns;
  const int grid_width = columns * width + (columns - 1) * kGap;
  const int grid_height = rows * height + (rows - 1) * kGap;

  layer.channels = channels;
  layer.height = height;
  layer.width = width;
  layer.columns = columns;
  layer.rows = rows;
  layer.grid.width = grid_width;
  layer.grid.height = grid_height;
  layer.grid.pixels.assign(static_cast<std::size_t>(grid_width) * grid_height, kGapGray);

  const std::size_t plane = static_cast<std::size_t>(height) * width;
  for (int c = 0; c < channels; ++c) {
    const std::span<const float> channel = values.subspan(c * plane, plane);
    float lo = channel[0];
    float hi = channel[0];
    for (const float v : channel) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    // A flat channel (all zero after a ReLU, say) is drawn black.
    const float scale = hi > lo && std::isfinite(hi - lo) ? 255.0f / (hi - lo) : 0.0f;
    const int x0 = (c % columns) * (width + kGap);
    const int y0 = (c / columns) * (height + kGap);
    for (int y = 0; y < height; ++y) {
      std::uint8_t* out = &layer.grid.pixels[static_cast<std::size_t>(y0 + y) * grid_width + x0];
      const float* in = &channel[static_cast<std::size_t>(y) * width];
      for (int x = 0; x < width; ++x) {
        const float v = (in[x] - lo) * scale;
        out[x] =
            v > 0.0f ? static_cast<std::uint8_t>(std::lround(std::min(v, 255.0f))) : 0;  // NaN -> 0
      }
    }
  }
  ++layer.version;
}

std::uint32_t fnv1a32(std::span<const std::uint8_t> bytes) {
  std::uint32_t hash = 2166136261u;
  for (const std::uint8_t b : bytes) {
    hash ^= b;
    hash *= 16777619u;
  }
  return hash;
}

}  // namespace facegender::inspector
