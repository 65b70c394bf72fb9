#include "network_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace facegender::detail {
namespace {

float activate(Activation activation, float v) {
  switch (activation) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return v > 0.0f ? v : 0.0f;
    case Activation::Relu6:
      return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
  }
  return v;
}

// The taps of one output row along one axis: first and last valid k.
struct TapRange {
  int begin;
  int end;
};

TapRange valid_taps(int out_index, int stride, int pad, int dilation, int k, int size) {
  const int origin = out_index * stride - pad;
  int begin = 0;
  while (begin < k && origin + begin * dilation < 0) ++begin;
  int end = k;
  while (end > begin && origin + (end - 1) * dilation >= size) --end;
  return {begin, end};
}

// Four floats in one SIMD register (SSE natively, WASM SIMD128 in the
// browser). Lanes are independent output channels; each lane does exactly
// the scalar code's multiply, then add.
using f32x4 = float __attribute__((vector_size(16)));

f32x4 load4(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store4(float* p, f32x4 v) {
  std::memcpy(p, &v, sizeof v);
}
f32x4 broadcast(float x) {
  return f32x4{x, x, x, x};
}

// out[p][co..co+8) += sum over ci of in[p * step + ci] * w[ci][co..co+8), for
// Pixels pixels; the sums stay in registers across ci.
template <int Pixels>
void tile8(const float* in, int step, int cin, const float* w, int cout, int co, float* out) {
  f32x4 acc[Pixels][2];
  for (int p = 0; p < Pixels; ++p) {
    acc[p][0] = load4(out + p * cout + co);
    acc[p][1] = load4(out + p * cout + co + 4);
  }
  for (int ci = 0; ci < cin; ++ci) {
    const float* wr = w + static_cast<std::size_t>(ci) * cout + co;
    const f32x4 w0 = load4(wr), w1 = load4(wr + 4);
    for (int p = 0; p < Pixels; ++p) {
      const f32x4 v = broadcast(in[p * step + ci]);
      acc[p][0] += v * w0;
      acc[p][1] += v * w1;
    }
  }
  for (int p = 0; p < Pixels; ++p) {
    store4(out + p * cout + co, acc[p][0]);
    store4(out + p * cout + co + 4, acc[p][1]);
  }
}

// The same for channels [co, cout) when fewer than 8 remain, one at a time.
void tail(const float* in, int step, int pixels, int cin, const float* w, int cout, int co,
          float* out) {
  for (int p = 0; p < pixels; ++p) {
    for (int c = co; c < cout; ++c) {
      float acc = out[p * cout + c];
      for (int ci = 0; ci < cin; ++ci)
        acc += in[p * step + ci] * w[static_cast<std::size_t>(ci) * cout + c];
      out[p * cout + c] = acc;
    }
  }
}

// out[p] += in[p * step] . w for `pixels` pixels (one convolution tap).
void accumulate_tap(const float* in, int step, int pixels, int cin, const float* w, int cout,
                    float* out) {
  const int vector_end = cout - cout % 8;
  int p = 0;
  for (; p + 4 <= pixels; p += 4) {
    const float* ip = in + static_cast<std::size_t>(p) * step;
    float* op = out + static_cast<std::size_t>(p) * cout;
    for (int co = 0; co < vector_end; co += 8) tile8<4>(ip, step, cin, w, cout, co, op);
    tail(ip, step, 4, cin, w, cout, vector_end, op);
  }
  for (; p < pixels; ++p) {
    const float* ip = in + static_cast<std::size_t>(p) * step;
    float* op = out + static_cast<std::size_t>(p) * cout;
    for (int co = 0; co < vector_end; co += 8) tile8<1>(ip, step, cin, w, cout, co, op);
    tail(ip, step, 1, cin, w, cout, vector_end, op);
  }
}

void fill_bias(const float* bias, int cout, std::size_t pixels, float* out) {
  for (std::size_t p = 0; p < pixels; ++p) std::memcpy(out + p * cout, bias, cout * sizeof(float));
}

// Output columns [begin, end) whose input column for tap kx is inside.
TapRange columns_for_tap(int kx, const Window& window, int in_width, int out_width) {
  int begin = 0;
  while (begin < out_width &&
         begin * window.stride_w - window.pad_left + kx * window.dilation_w < 0)
    ++begin;
  int end = out_width;
  while (end > begin &&
         (end - 1) * window.stride_w - window.pad_left + kx * window.dilation_w >= in_width)
    --end;
  return {begin, end};
}

}  // namespace

void apply(Activation activation, float* data, std::size_t n) {
  // One loop per activation, so each vectorises.
  if (activation == Activation::Relu) {
    for (std::size_t i = 0; i < n; ++i) data[i] = data[i] > 0.0f ? data[i] : 0.0f;
  } else if (activation == Activation::Relu6) {
    for (std::size_t i = 0; i < n; ++i) data[i] = activate(Activation::Relu6, data[i]);
  }
}

void conv2d(const float* in, Extent in_extent, const float* weights, const float* bias,
            const Window& window, Activation activation, float* out, Extent out_extent) {
  const int cin = in_extent.c;
  const int cout = out_extent.c;
  fill_bias(bias, cout, static_cast<std::size_t>(out_extent.h) * out_extent.w, out);
  const bool pointwise_only = window.kh == 1 && window.kw == 1 && window.stride_h == 1 &&
                              window.stride_w == 1 && window.pad_top == 0 && window.pad_left == 0;
  if (pointwise_only) {
    accumulate_tap(in, cin, in_extent.h * in_extent.w, cin, weights, cout, out);
  } else {
    // Taps in (ky, kx) order for every output: the same sums as one output
    // at a time, but a row of outputs shares each tap's weights.
    for (int oy = 0; oy < out_extent.h; ++oy) {
      const TapRange ty = valid_taps(oy, window.stride_h, window.pad_top, window.dilation_h,
                                     window.kh, in_extent.h);
      float* row = out + static_cast<std::size_t>(oy) * out_extent.w * cout;
      for (int ky = ty.begin; ky < ty.end; ++ky) {
        const int iy = oy * window.stride_h - window.pad_top + ky * window.dilation_h;
        for (int kx = 0; kx < window.kw; ++kx) {
          const TapRange cols = columns_for_tap(kx, window, in_extent.w, out_extent.w);
          if (cols.end <= cols.begin) continue;
          const int ix = cols.begin * window.stride_w - window.pad_left + kx * window.dilation_w;
          const float* px = in + (static_cast<std::size_t>(iy) * in_extent.w + ix) * cin;
          const float* wk = weights + (static_cast<std::size_t>(ky) * window.kw + kx) * cin * cout;
          accumulate_tap(px, window.stride_w * cin, cols.end - cols.begin, cin, wk, cout,
                         row + static_cast<std::size_t>(cols.begin) * cout);
        }
      }
    }
  }
  apply(activation, out, out_extent.size());
}

void depthwise_conv2d(const float* in, Extent in_extent, const float* weights, const float* bias,
                      const Window& window, Activation activation, float* out, Extent out_extent) {
  const int c = in_extent.c;
  fill_bias(bias, c, static_cast<std::size_t>(out_extent.h) * out_extent.w, out);
  for (int oy = 0; oy < out_extent.h; ++oy) {
    const TapRange ty =
        valid_taps(oy, window.stride_h, window.pad_top, window.dilation_h, window.kh, in_extent.h);
    for (int ox = 0; ox < out_extent.w; ++ox) {
      const TapRange tx = valid_taps(ox, window.stride_w, window.pad_left, window.dilation_w,
                                     window.kw, in_extent.w);
      float* __restrict acc = out + (static_cast<std::size_t>(oy) * out_extent.w + ox) * c;
      for (int ky = ty.begin; ky < ty.end; ++ky) {
        const int iy = oy * window.stride_h - window.pad_top + ky * window.dilation_h;
        for (int kx = tx.begin; kx < tx.end; ++kx) {
          const int ix = ox * window.stride_w - window.pad_left + kx * window.dilation_w;
          const float* __restrict px = in + (static_cast<std::size_t>(iy) * in_extent.w + ix) * c;
          const float* __restrict wk =
              weights + (static_cast<std::size_t>(ky) * window.kw + kx) * c;
          for (int ch = 0; ch < c; ++ch) acc[ch] += px[ch] * wk[ch];
        }
      }
    }
  }
  apply(activation, out, out_extent.size());
}

void max_pool2d(const float* in, Extent in_extent, const Window& window, Activation activation,
                float* out, Extent out_extent) {
  const int c = in_extent.c;
  for (int oy = 0; oy < out_extent.h; ++oy) {
    const TapRange ty = valid_taps(oy, window.stride_h, window.pad_top, 1, window.kh, in_extent.h);
    for (int ox = 0; ox < out_extent.w; ++ox) {
      const TapRange tx =
          valid_taps(ox, window.stride_w, window.pad_left, 1, window.kw, in_extent.w);
      float* acc = out + (static_cast<std::size_t>(oy) * out_extent.w + ox) * c;
      bool first = true;
      for (int ky = ty.begin; ky < ty.end; ++ky) {
        const int iy = oy * window.stride_h - window.pad_top + ky;
        for (int kx = tx.begin; kx < tx.end; ++kx) {
          const int ix = ox * window.stride_w - window.pad_left + kx;
          const float* px = in + (static_cast<std::size_t>(iy) * in_extent.w + ix) * c;
          if (first) {
            std::memcpy(acc, px, c * sizeof(float));
            first = false;
          } else {
            for (int ch = 0; ch < c; ++ch) acc[ch] = px[ch] > acc[ch] ? px[ch] : acc[ch];
          }
        }
      }
      if (first) std::fill(acc, acc + c, 0.0f);  // a window wholly in padding
    }
  }
  apply(activation, out, out_extent.size());
}

void add(const float* a, const float* b, std::size_t n, Activation activation, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
  apply(activation, out, n);
}

void pad(const float* in, Extent in_extent, const int (&before)[3], float* out, Extent out_extent) {
  std::fill(out, out + out_extent.size(), 0.0f);
  for (int y = 0; y < in_extent.h; ++y) {
    for (int x = 0; x < in_extent.w; ++x) {
      const float* src = in + (static_cast<std::size_t>(y) * in_extent.w + x) * in_extent.c;
      float* dst =
          out +
          (static_cast<std::size_t>(y + before[0]) * out_extent.w + x + before[1]) * out_extent.c +
          before[2];
      std::memcpy(dst, src, in_extent.c * sizeof(float));
    }
  }
}

namespace {

struct Interpolation {
  int lower;
  int upper;
  float fraction;  // scaled position - lower
};

Interpolation interpolation(int index, float scale, bool half_pixel_centers, int size) {
  const float position = half_pixel_centers ? (static_cast<float>(index) + 0.5f) * scale - 0.5f
                                            : static_cast<float>(index) * scale;
  const int lower = std::max(static_cast<int>(std::floor(position)), 0);
  const int upper = std::min(static_cast<int>(std::ceil(position)), size - 1);
  return {lower, upper, position - static_cast<float>(lower)};
}

float axis_scale(int in, int out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

}  // namespace

void resize_bilinear(const float* in, Extent in_extent, bool align_corners, bool half_pixel_centers,
                     float* out, Extent out_extent) {
  const int c = in_extent.c;
  const float sy = axis_scale(in_extent.h, out_extent.h, align_corners);
  const float sx = axis_scale(in_extent.w, out_extent.w, align_corners);
  auto at = [&](int y, int x) { return in + (static_cast<std::size_t>(y) * in_extent.w + x) * c; };
  for (int oy = 0; oy < out_extent.h; ++oy) {
    const Interpolation iy = interpolation(oy, sy, half_pixel_centers, in_extent.h);
    for (int ox = 0; ox < out_extent.w; ++ox) {
      const Interpolation ix = interpolation(ox, sx, half_pixel_centers, in_extent.w);
      const float* p00 = at(iy.lower, ix.lower);
      const float* p10 = at(iy.upper, ix.lower);
      const float* p01 = at(iy.lower, ix.upper);
      const float* p11 = at(iy.upper, ix.upper);
      const float wy1 = iy.fraction, wy0 = 1.0f - iy.fraction;
      const float wx1 = ix.fraction, wx0 = 1.0f - ix.fraction;
      float* dst = out + (static_cast<std::size_t>(oy) * out_extent.w + ox) * c;
      for (int ch = 0; ch < c; ++ch) {
        dst[ch] =
            p00[ch] * wy0 * wx0 + p10[ch] * wy1 * wx0 + p01[ch] * wy0 * wx1 + p11[ch] * wy1 * wx1;
      }
    }
  }
}

}  // namespace facegender::detail
