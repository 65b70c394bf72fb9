#include "test_support.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>

namespace facegender::testing {

RandomImage random_image(std::mt19937& rng, int width, int height, PixelFormat format,
                         int row_padding) {
  const std::size_t stride = static_cast<std::size_t>(width) * channels(format) + row_padding;
  RandomImage image{std::vector<std::uint8_t>(stride * height), width, height, format, stride};
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : image.bytes) b = static_cast<std::uint8_t>(byte(rng));
  return image;
}

Image smooth_random_gray(std::mt19937& rng, int width, int height) {
  cv::Mat noise(std::max(2, height / 8), std::max(2, width / 8), CV_8UC1);
  cv::randu(noise, 0, 256);
  cv::Mat big;
  cv::resize(noise, big, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
  cv::Mat grain(height, width, CV_8UC1);
  cv::randu(grain, 0, 24);
  cv::add(big, grain, big);
  Image out(width, height, PixelFormat::Gray8);
  for (int y = 0; y < height; ++y) std::copy_n(big.ptr<std::uint8_t>(y), width, out.row(y));
  (void)rng;
  return out;
}

cv::Mat as_mat(const ImageView& view) {
  return cv::Mat(view.height(), view.width(), CV_8UC(view.channels()),
                 const_cast<std::uint8_t*>(view.row(0)), view.stride());
}

ImageView as_view(const cv::Mat& mat) {
  const PixelFormat format = mat.channels() == 1 ? PixelFormat::Gray8 : PixelFormat::BGR8;
  const std::size_t bytes =
      mat.step[0] * static_cast<std::size_t>(mat.rows - 1) + mat.cols * mat.elemSize();
  return ImageView(std::span<const std::uint8_t>(mat.ptr<std::uint8_t>(0), bytes), mat.cols,
                   mat.rows, format, mat.step[0]);
}

int max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max_value = 0;
  cv::minMaxLoc(diff, nullptr, &max_value);
  return static_cast<int>(max_value);
}

std::vector<std::string> face_photos() {
  const std::filesystem::path dir = std::filesystem::path(FACEGENDER_TEST_PHOTOS) / "dlib-faces";
  std::vector<std::string> photos;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".jpg") photos.push_back(entry.path().string());
    }
  }
  std::sort(photos.begin(), photos.end());
  EXPECT_FALSE(photos.empty()) << "no face photos in " << dir
                               << ": run scripts/fetch-test-photos.sh (scripts/test.sh does)";
  return photos;
}

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "facegender-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string cascade_json(const std::string& name) {
  return std::string(FACEGENDER_CASCADE_DIR) + "/" + name + ".json";
}
std::string cascade_xml(const std::string& name) {
  return std::string(FACEGENDER_OPENCV_CASCADES) + "/" + name + ".xml";
}

}  // namespace facegender::testing
