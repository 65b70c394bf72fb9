// Each operator of the network interpreter against a naive reference (one
// output at a time, the obvious loops) on random input, ncnn-style. The
// references add in the same order (bias, then taps in (ky, kx, channel)
// order), so the tiled, vectorised kernels must match them bit for bit.
#include "network_ops.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace facegender::detail {
namespace {

std::vector<float> random_floats(std::mt19937& rng, std::size_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// TFLite SAME padding: output ceil(in / stride), padding before = total / 2.
int same_out(int in, int stride) {
  return (in + stride - 1) / stride;
}
int same_pad(int in, int k, int stride, int dilation) {
  const int out = same_out(in, stride);
  return std::max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) / 2;
}

float naive_conv_at(const std::vector<float>& in, Extent x, const std::vector<float>& w,
                    const std::vector<float>& bias, const Window& win, Extent y, int oy, int ox,
                    int co, bool depthwise) {
  float acc = bias[co];
  for (int ky = 0; ky < win.kh; ++ky) {
    for (int kx = 0; kx < win.kw; ++kx) {
      const int iy = oy * win.stride_h - win.pad_top + ky * win.dilation_h;
      const int ix = ox * win.stride_w - win.pad_left + kx * win.dilation_w;
      if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
      if (depthwise) {
        acc += in[(iy * x.w + ix) * x.c + co] * w[(ky * win.kw + kx) * x.c + co];
      } else {
        for (int ci = 0; ci < x.c; ++ci) {
          acc += in[(iy * x.w + ix) * x.c + ci] * w[((ky * win.kw + kx) * x.c + ci) * y.c + co];
        }
      }
    }
  }
  return acc;
}

struct ConvCase {
  int h, w, cin, cout, k, stride;
  bool same;
};

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesTheNaiveLoopBitForBit) {
  const ConvCase p = GetParam();
  std::mt19937 rng(static_cast<unsigned>(p.h * 131 + p.cin * 7 + p.cout + p.k));
  const Extent x{p.h, p.w, p.cin};
  Window win;
  win.kh = win.kw = p.k;
  win.stride_h = win.stride_w = p.stride;
  Extent y{0, 0, p.cout};
  if (p.same) {
    y.h = same_out(p.h, p.stride);
    y.w = same_out(p.w, p.stride);
    win.pad_top = same_pad(p.h, p.k, p.stride, 1);
    win.pad_left = same_pad(p.w, p.k, p.stride, 1);
  } else {
    y.h = (p.h - p.k) / p.stride + 1;
    y.w = (p.w - p.k) / p.stride + 1;
  }
  const auto in = random_floats(rng, x.size());
  const auto w = random_floats(rng, static_cast<std::size_t>(p.k * p.k * p.cin * p.cout));
  const auto bias = random_floats(rng, static_cast<std::size_t>(p.cout));
  std::vector<float> out(y.size());
  conv2d(in.data(), x, w.data(), bias.data(), win, Activation::Relu, out.data(), y);
  for (int oy = 0; oy < y.h; ++oy) {
    for (int ox = 0; ox < y.w; ++ox) {
      for (int co = 0; co < y.c; ++co) {
        const float expected =
            std::max(naive_conv_at(in, x, w, bias, win, y, oy, ox, co, false), 0.0f);
        ASSERT_EQ(out[(oy * y.w + ox) * y.c + co], expected) << oy << "," << ox << "," << co;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTest,
    ::testing::Values(ConvCase{9, 7, 5, 11, 1, 1, false},   // pointwise, channel tail
                      ConvCase{8, 8, 24, 32, 1, 1, false},  // pointwise, 8-wide tiles
                      ConvCase{17, 13, 3, 24, 5, 2, true},  // BlazeFace's stem
                      ConvCase{10, 11, 4, 9, 3, 1, true}, ConvCase{12, 12, 6, 16, 3, 2, false}));

TEST(DepthwiseConv, MatchesTheNaiveLoopBitForBit) {
  std::mt19937 rng(3);
  for (int stride : {1, 2}) {
    const Extent x{11, 9, 13};
    Window win;
    win.kh = win.kw = 3;
    win.stride_h = win.stride_w = stride;
    win.pad_top = same_pad(x.h, 3, stride, 1);
    win.pad_left = same_pad(x.w, 3, stride, 1);
    const Extent y{same_out(x.h, stride), same_out(x.w, stride), x.c};
    const auto in = random_floats(rng, x.size());
    const auto w = random_floats(rng, 9 * 13);
    const auto bias = random_floats(rng, 13);
    std::vector<float> out(y.size());
    depthwise_conv2d(in.data(), x, w.data(), bias.data(), win, Activation::None, out.data(), y);
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int c = 0; c < y.c; ++c)
          ASSERT_EQ(out[(oy * y.w + ox) * y.c + c],
                    naive_conv_at(in, x, w, bias, win, y, oy, ox, c, true))
              << "stride " << stride;
  }
}

TEST(MaxPool, TakesTheLargestOfEachWindow) {
  std::mt19937 rng(4);
  const Extent x{7, 6, 5};
  Window win;
  win.kh = win.kw = 2;
  win.stride_h = win.stride_w = 2;
  const Extent y{4, 3, 5};  // SAME: the last row's window is half outside
  const auto in = random_floats(rng, x.size());
  std::vector<float> out(y.size());
  max_pool2d(in.data(), x, win, Activation::None, out.data(), y);
  for (int oy = 0; oy < y.h; ++oy)
    for (int ox = 0; ox < y.w; ++ox)
      for (int c = 0; c < y.c; ++c) {
        float best = -INFINITY;
        for (int iy = 2 * oy; iy < std::min(2 * oy + 2, x.h); ++iy)
          for (int ix = 2 * ox; ix < std::min(2 * ox + 2, x.w); ++ix)
            best = std::max(best, in[(iy * x.w + ix) * x.c + c]);
        ASSERT_EQ(out[(oy * y.w + ox) * y.c + c], best);
      }
}

TEST(Pad, PlacesTheInputAndZeroesTheRest) {
  const Extent x{2, 2, 2}, y{3, 4, 5};
  const std::vector<float> in{1, 2, 3, 4, 5, 6, 7, 8};
  const int before[3] = {1, 1, 2};
  std::vector<float> out(y.size(), 9.0f);
  pad(in.data(), x, before, out.data(), y);
  float sum = 0;
  for (float v : out) sum += v;
  EXPECT_EQ(sum, 36.0f);
  EXPECT_EQ(out[((1 * 4) + 1) * 5 + 2], 1.0f);
  EXPECT_EQ(out[((2 * 4) + 2) * 5 + 3], 8.0f);
}

TEST(ResizeBilinear, HalfPixelCentresDoubleAnImageAsTfliteDoes) {
  // 1x2 -> 1x4 with half-pixel centres: positions -0.25, 0.25, 0.75, 1.25.
  const std::vector<float> in{0.0f, 4.0f};
  std::vector<float> out(4);
  resize_bilinear(in.data(), {1, 2, 1}, false, true, out.data(), {1, 4, 1});
  EXPECT_EQ(out, (std::vector<float>{0.0f, 1.0f, 3.0f, 4.0f}));
  resize_bilinear(in.data(), {1, 2, 1}, true, false, out.data(), {1, 4, 1});
  EXPECT_FLOAT_EQ(out[1], 4.0f / 3.0f);
  EXPECT_EQ(out[3], 4.0f);
}

TEST(Activation, ReluAndRelu6Clamp) {
  std::vector<float> v{-2.0f, 0.5f, 7.0f};
  apply(Activation::Relu6, v.data(), v.size());
  EXPECT_EQ(v, (std::vector<float>{0.0f, 0.5f, 6.0f}));
}

}  // namespace
}  // namespace facegender::detail
