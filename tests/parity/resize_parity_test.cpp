// The core's resizes against cv::resize: bilinear is INTER_LINEAR_EXACT to
// the byte and within one grey level of INTER_LINEAR; area is within one
// grey level of INTER_AREA.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "facegender/preprocess.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

struct Sizes {
  int src_w, src_h, dst_w, dst_h;
};

const std::vector<Sizes> kShrinks = {
    {640, 480, 320, 240}, {640, 480, 100, 75}, {200, 200, 100, 100},
    {200, 200, 80, 80},   {333, 251, 97, 61},  {168, 168, 100, 100},
    {101, 101, 100, 100}, {45, 31, 1, 1},      {640, 480, 582, 436}};
const std::vector<Sizes> kGrowths = {{42, 42, 100, 100}, {80, 80, 100, 100}, {17, 9, 64, 33},
                                     {3, 2, 100, 100},   {1, 1, 5, 5},       {99, 100, 100, 100}};

struct Worst {
  int linear_exact = 0;
  int linear = 0;
  int area = 0;
};

void compare(const ImageView& gray, const Sizes& s, Worst& worst) {
  const cv::Mat src = testing::as_mat(gray);
  const cv::Size size(s.dst_w, s.dst_h);
  cv::Mat exact, linear;
  cv::resize(src, exact, size, 0, 0, cv::INTER_LINEAR_EXACT);
  cv::resize(src, linear, size, 0, 0, cv::INTER_LINEAR);
  const Image ours = resize_bilinear(gray, s.dst_w, s.dst_h);
  const cv::Mat ours_mat = testing::as_mat(ours.view());
  const std::string what = std::to_string(s.src_w) + "x" + std::to_string(s.src_h) + " -> " +
                           std::to_string(s.dst_w) + "x" + std::to_string(s.dst_h);
  const int exact_diff = testing::max_abs_diff(ours_mat, exact);
  const int linear_diff = testing::max_abs_diff(ours_mat, linear);
  EXPECT_EQ(exact_diff, 0) << "bilinear vs INTER_LINEAR_EXACT " << what;
  EXPECT_LE(linear_diff, 1) << "bilinear vs INTER_LINEAR " << what;
  worst.linear_exact = std::max(worst.linear_exact, exact_diff);
  worst.linear = std::max(worst.linear, linear_diff);
  if (s.dst_w <= s.src_w && s.dst_h <= s.src_h) {
    cv::Mat area;
    cv::resize(src, area, size, 0, 0, cv::INTER_AREA);
    const Image ours_area = resize_area(gray, s.dst_w, s.dst_h);
    const int area_diff = testing::max_abs_diff(testing::as_mat(ours_area.view()), area);
    EXPECT_LE(area_diff, 1) << "area vs INTER_AREA " << what;
    worst.area = std::max(worst.area, area_diff);
  }
}

void print(const char* what, const Worst& worst) {
  std::cout << "[ figures  ] resize on " << what << ": max abs diff vs INTER_LINEAR_EXACT "
            << worst.linear_exact << ", vs INTER_LINEAR " << worst.linear << ", area vs INTER_AREA "
            << worst.area << "\n";
}

TEST(ResizeParity, MatchesOpenCVOnRandomImages) {
  std::mt19937 rng(41);
  Worst worst;
  for (const std::vector<Sizes>* list : {&kShrinks, &kGrowths}) {
    for (const Sizes& s : *list) {
      const auto noisy = testing::random_image(rng, s.src_w, s.src_h, PixelFormat::Gray8, 5);
      compare(noisy.view(), s, worst);
      const Image smooth = testing::smooth_random_gray(rng, s.src_w, s.src_h);
      compare(smooth.view(), s, worst);
    }
  }
  print("random images", worst);
}

TEST(ResizeParity, MatchesOpenCVOnPhotos) {
  Worst worst;
  for (const std::string& path : testing::face_photos()) {
    cv::Mat gray = cv::imread(path, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(gray.empty()) << path;
    const ImageView view = testing::as_view(gray);
    for (const auto& [num, den] :
         {std::pair{1, 2}, std::pair{1, 3}, std::pair{5, 7}, std::pair{10, 11}, std::pair{3, 2}}) {
      compare(view, {gray.cols, gray.rows, gray.cols * num / den, gray.rows * num / den}, worst);
    }
  }
  print("photos", worst);
}

}  // namespace
}  // namespace facegender
