// The core's grayscale against cv::cvtColor: identical bytes for every format.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

int cv_code(PixelFormat format) {
  switch (format) {
    case PixelFormat::RGB8:
      return cv::COLOR_RGB2GRAY;
    case PixelFormat::BGR8:
      return cv::COLOR_BGR2GRAY;
    case PixelFormat::RGBA8:
      return cv::COLOR_RGBA2GRAY;
    case PixelFormat::Gray8:
      break;
  }
  return -1;
}

TEST(GrayParity, IdenticalToCvtColorOnRandomImages) {
  std::mt19937 rng(31);
  int images = 0;
  for (PixelFormat format : {PixelFormat::RGB8, PixelFormat::BGR8, PixelFormat::RGBA8}) {
    for (const auto& [w, h, pad] : {std::tuple{1, 1, 0}, std::tuple{17, 9, 3},
                                    std::tuple{640, 480, 0}, std::tuple{333, 251, 7}}) {
      const auto image = testing::random_image(rng, w, h, format, pad);
      cv::Mat expected;
      cv::cvtColor(testing::as_mat(image.view()), expected, cv_code(format));
      const Image gray = to_gray(image.view());
      ASSERT_EQ(testing::max_abs_diff(testing::as_mat(gray.view()), expected), 0)
          << to_string(format) << " " << w << "x" << h;
      ++images;
    }
  }
  std::cout << "[ figures  ] grayscale vs cvtColor: " << images
            << " random images, max abs diff 0\n";
}

TEST(GrayParity, IdenticalToCvtColorOnPhotos) {
  for (const std::string& path : testing::face_photos()) {
    const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
    ASSERT_FALSE(bgr.empty()) << path;
    cv::Mat expected;
    cv::cvtColor(bgr, expected, cv::COLOR_BGR2GRAY);
    const Image gray = to_gray(testing::as_view(bgr));
    ASSERT_EQ(testing::max_abs_diff(testing::as_mat(gray.view()), expected), 0) << path;
  }
}

}  // namespace
}  // namespace facegender
