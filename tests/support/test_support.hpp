// Helpers shared by the test suites: seeded random images, OpenCV views of
// core images, and the face photos installed from Debian packages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "facegender/image.hpp"

namespace facegender::testing {

// A width x height image of `format` with uniformly random bytes and
// `row_padding` extra bytes per row (to exercise strides).
struct RandomImage {
  std::vector<std::uint8_t> bytes;
  int width;
  int height;
  PixelFormat format;
  std::size_t stride;
  ImageView view() const { return ImageView(bytes, width, height, format, stride); }
};
RandomImage random_image(std::mt19937& rng, int width, int height, PixelFormat format,
                         int row_padding = 0);

// Smooth random content (a few blurred blobs) so resizes see photo-like data.
Image smooth_random_gray(std::mt19937& rng, int width, int height);

cv::Mat as_mat(const ImageView& view);  // shares memory
ImageView as_view(const cv::Mat& mat);  // Gray8 (CV_8UC1) or BGR8 (CV_8UC3); shares memory

// Largest absolute difference between two same-sized single-channel images.
int max_abs_diff(const cv::Mat& a, const cv::Mat& b);

// JPEG face photos from Debian's dlib source package; fails the calling test
// (with a hint to run scripts/fetch-test-photos.sh) when there are none.
std::vector<std::string> face_photos();

// A fresh folder under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

std::string cascade_json(const std::string& name);  // built from opencv-data
std::string cascade_xml(const std::string& name);   // opencv-data's original

}  // namespace facegender::testing
