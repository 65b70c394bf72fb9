// What the inspector shows, without any ImGui or OpenGL: the selected face's
// model input, the conv feature maps laid out as one gray image per layer,
// and fixed-size histories (probability, per-stage latency, frame rate).
// main.cpp draws it; the embind API fills it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace facegender::inspector {

// The last N values pushed, oldest first when plotted from `offset()`.
// Fixed capacity: pushing never allocates.
template <std::size_t N>
class History {
 public:
  static constexpr std::size_t capacity = N;

  void push(float value) {
    values_[next_] = value;
    next_ = (next_ + 1) % N;
    if (size_ < N) ++size_;
  }
  void clear() { next_ = size_ = 0; }

  // For ImGui::PlotLines(values, count, offset): the oldest value sits at
  // `offset()` once the buffer is full, at 0 before.
  const float* data() const { return values_.data(); }
  int count() const { return static_cast<int>(size_); }
  int offset() const { return size_ < N ? 0 : static_cast<int>(next_); }
  bool empty() const { return size_ == 0; }
  float last() const { return size_ == 0 ? 0.0f : values_[(next_ + N - 1) % N]; }
  float max() const;

 private:
  std::array<float, N> values_{};
  std::size_t next_ = 0;
  std::size_t size_ = 0;
};

template <std::size_t N>
float History<N>::max() const {
  float m = 0.0f;
  for (std::size_t i = 0; i < size_; ++i)
    if (values_[i] > m) m = values_[i];
  return m;
}

// A gray 8-bit image, row-major, tightly packed.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

// One conv layer's activations for one face, as a grid of `columns` x `rows`
// tiles (one per channel, each scaled to 0..255 by its own min and max) with
// a one-pixel gap between tiles.
struct FeatureLayer {
  std::string name;
  int channels = 0;
  int height = 0;
  int width = 0;
  int columns = 0;
  int rows = 0;
  GrayImage grid;
  std::uint64_t version = 0;  // bumped whenever `grid` changes
};

// Lays `values` (channels x height x width floats, the layout of an NCHW
// output with N = 1) out as `layer.grid`, normalised per channel. Reuses
// the layer's buffer when the shape is unchanged.
void build_feature_grid(std::span<const float> values, int channels, int height, int width,
                        FeatureLayer& layer);

// 32-bit FNV-1a of the bytes: what inputChecksum() reports to JS (the page
// computes the same on its copy, so a test can tell the face arrived intact).
std::uint32_t fnv1a32(std::span<const std::uint8_t> bytes);

}  // namespace facegender::inspector
