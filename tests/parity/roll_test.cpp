// Roll from the eye line on real photos turned by known angles: the change in
// the estimate must follow the turn.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facegender/detect.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

std::optional<double> roll_of_largest_face(const Cascade& faces, const Cascade& eyes,
                                           const cv::Mat& gray, double angle) {
  // getRotationMatrix2D turns counter-clockwise for positive angles; our roll
  // is positive clockwise.
  const cv::Point2f centre(static_cast<float>(gray.cols) / 2.0f,
                           static_cast<float>(gray.rows) / 2.0f);
  cv::Mat rotated;
  cv::warpAffine(gray, rotated, cv::getRotationMatrix2D(centre, -angle, 1.0), gray.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  FaceSearch search;
  search.detect.min_size = 80;
  const std::vector<Box> found = find_faces(faces, testing::as_view(rotated), search);
  if (found.empty()) return std::nullopt;
  return estimate_roll(eyes, testing::as_view(rotated), found.front());
}

TEST(EyeRoll, FollowsARotatedFace) {
  const Cascade faces =
      Cascade::from_file(testing::cascade_json("haarcascade_frontalface_default"));
  const Cascade eyes = Cascade::from_file(testing::cascade_json("haarcascade_eye"));
  int measured = 0;
  int within = 0;
  for (const std::string& path : testing::face_photos()) {
    const cv::Mat gray = cv::imread(path, cv::IMREAD_GRAYSCALE);
    const std::optional<double> upright = roll_of_largest_face(faces, eyes, gray, 0.0);
    if (!upright) continue;
    for (const double angle : {-8.0, 8.0}) {
      const std::optional<double> turned = roll_of_largest_face(faces, eyes, gray, angle);
      if (!turned) continue;
      ++measured;
      const double error = std::abs(*turned - *upright - angle);
      within += error <= 5.0;
      std::cout << "[ figures  ] " << path.substr(path.rfind('/') + 1) << " turned " << angle
                << ": roll " << *upright << " -> " << *turned << " (error " << error << ")\n";
    }
  }
  std::cout << "[ figures  ] eye-line roll: " << within << "/" << measured
            << " turns followed within 5 degrees\n";
  EXPECT_GE(measured, 8) << "too few faces with two eyes found to judge the roll estimate";
  EXPECT_GE(within, measured * 3 / 4);
}

}  // namespace
}  // namespace facegender
