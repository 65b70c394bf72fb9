// The operators of facegender::Network on plain float buffers (NHWC, batch 1).
// Each output element is a fixed sequence of IEEE float operations: the
// accumulation order of a convolution is bias, then taps in (ky, kx, input
// channel) order. Loops run innermost over output channels, which are
// independent, so the compiler may vectorise them without changing a bit.
#pragma once

#include <span>
#include <vector>

namespace facegender::detail {

struct Extent {  // height x width x channels of one NHWC image (batch 1)
  int h = 0;
  int w = 0;
  int c = 0;
  std::size_t size() const {
    return static_cast<std::size_t>(h) * static_cast<std::size_t>(w) * static_cast<std::size_t>(c);
  }
};

enum class Activation { None, Relu, Relu6 };

struct Window {  // a convolution or pooling window over an input
  int kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
};

// weights: [kh][kw][in.c][out.c] (repacked from TFLite's [out][kh][kw][in]).
void conv2d(const float* in, Extent in_extent, const float* weights, const float* bias,
            const Window& window, Activation activation, float* out, Extent out_extent);

// weights: [kh][kw][c]; depth multiplier 1.
void depthwise_conv2d(const float* in, Extent in_extent, const float* weights, const float* bias,
                      const Window& window, Activation activation, float* out, Extent out_extent);

// The maximum over the window's cells inside the input.
void max_pool2d(const float* in, Extent in_extent, const Window& window, Activation activation,
                float* out, Extent out_extent);

void add(const float* a, const float* b, std::size_t n, Activation activation, float* out);
void apply(Activation activation, float* data, std::size_t n);

// Zero padding: before/after per dimension of a 4-D NHWC tensor (batch 1).
void pad(const float* in, Extent in_extent, const int (&before)[3], float* out, Extent out_extent);

// TFLite's RESIZE_BILINEAR (half-pixel centres or corner alignment).
void resize_bilinear(const float* in, Extent in_extent, bool align_corners, bool half_pixel_centers,
                     float* out, Extent out_extent);

}  // namespace facegender::detail
