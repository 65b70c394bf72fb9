#include <gtest/gtest.h>

#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

TEST(Tensor, MatchesReferenceNormalisation) {
  std::mt19937 rng(21);
  const auto image = testing::random_image(rng, 17, 9, PixelFormat::Gray8, 4);
  for (const Normalization norm : {Normalization{0.0f, 1.0f}, Normalization{0.5f, 0.25f}}) {
    const std::vector<float> tensor = to_tensor(image.view(), norm);
    ASSERT_EQ(tensor.size(), 17u * 9u);
    for (int y = 0; y < 9; ++y) {
      for (int x = 0; x < 17; ++x) {
        const double expected = (image.view().at(x, y) / 255.0 - norm.mean) / norm.std;
        ASSERT_NEAR(tensor[static_cast<std::size_t>(y * 17 + x)], expected, 1e-6) << x << "," << y;
      }
    }
  }
}

TEST(Tensor, EndpointsOfTheUnitScale) {
  const std::vector<std::uint8_t> px = {0, 255};
  const std::vector<float> tensor = to_tensor(ImageView(px, 2, 1, PixelFormat::Gray8), {});
  EXPECT_EQ(tensor[0], 0.0f);
  EXPECT_EQ(tensor[1], 1.0f);
}

TEST(Tensor, RejectsBadNormalisationAndOutputSize) {
  const std::vector<std::uint8_t> px(4);
  const ImageView view(px, 2, 2, PixelFormat::Gray8);
  EXPECT_THROW(to_tensor(view, Normalization{0.0f, 0.0f}), InputError);
  std::vector<float> small(3);
  EXPECT_THROW(to_tensor(view, Normalization{}, small), InputError);
}

}  // namespace
}  // namespace facegender
