#include "prepare/head_pose.hpp"

#include <dlib/image_processing/shape_predictor.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <opencv2/calib3d.hpp>
#include <stdexcept>

namespace facegender::prepare {
namespace {

constexpr double kDegrees = 180.0 / 3.14159265358979323846;

// The 68-point scheme's indices of six points a rigid head model has.
constexpr std::array<unsigned long, 6> kLandmarks = {
    30,  // nose tip
    8,   // chin
    36,  // outer corner of the eye on the image's left
    45,  // outer corner of the eye on the image's right
    48,  // mouth corner, image left
    54,  // mouth corner, image right
};

// A generic adult head (arbitrary units, about 0.1 mm), in camera axes: x to
// the image's right, y down, z away from the camera. The nose tip is the
// origin and nearest the camera, so a frontal face has rotation ~identity.
// Approximate anthropometric proportions; only the angles are used.
const std::array<cv::Point3d, 6> kModel = {{
    {0.0, 0.0, 0.0},          // nose tip
    {0.0, 330.0, 65.0},       // chin
    {-225.0, -170.0, 135.0},  // eye corner, image left
    {225.0, -170.0, 135.0},   // eye corner, image right
    {-150.0, 150.0, 125.0},   // mouth corner, image left
    {150.0, 150.0, 125.0},    // mouth corner, image right
}};
constexpr double kModelEyeSpan = 450.0;

// The face box grown by a quarter on each side: the predictor reads pixels
// around the box, and copying only this region keeps big photos cheap.
Box context_region(const ImageView& gray, const Box& box) {
  const int grow_x = box.width / 4;
  const int grow_y = box.height / 4;
  const int x0 = std::max(0, box.x - grow_x);
  const int y0 = std::max(0, box.y - grow_y);
  const int x1 = std::min(gray.width(), box.x + box.width + grow_x);
  const int y1 = std::min(gray.height(), box.y + box.height + grow_y);
  return {x0, y0, x1 - x0, y1 - y0};
}

dlib::array2d<unsigned char> copy_region(const ImageView& gray, const Box& region) {
  dlib::array2d<unsigned char> image(region.height, region.width);
  for (int y = 0; y < region.height; ++y) {
    const std::uint8_t* row = gray.row(region.y + y) + region.x;
    std::copy(row, row + region.width, &image[y][0]);
  }
  return image;
}

cv::Point2d centre_of(const dlib::full_object_detection& shape, unsigned long first,
                      unsigned long last) {
  cv::Point2d sum(0.0, 0.0);
  for (unsigned long i = first; i <= last; ++i) {
    sum.x += static_cast<double>(shape.part(i).x());
    sum.y += static_cast<double>(shape.part(i).y());
  }
  return sum / static_cast<double>(last - first + 1);
}

// R = Rz(roll) * Ry(yaw) * Rx(pitch), the usual order for a head facing the
// camera; only yaw and pitch are read from it.
void yaw_pitch_from_rotation(const cv::Mat& rotation, HeadPose& pose) {
  const double r20 = std::clamp(rotation.at<double>(2, 0), -1.0, 1.0);
  pose.yaw = std::asin(-r20) * kDegrees;
  pose.pitch = std::atan2(rotation.at<double>(2, 1), rotation.at<double>(2, 2)) * kDegrees;
}

}  // namespace

struct LandmarkPoseEstimator::Model {
  dlib::shape_predictor predictor;
};

LandmarkPoseEstimator::LandmarkPoseEstimator(const std::string& model_path) {
  if (!std::filesystem::is_regular_file(model_path)) {
    throw std::runtime_error(model_path +
                             ": dlib landmark model not found (install Debian's libdlib-data, or "
                             "pass --landmarks)");
  }
  auto model = std::make_unique<Model>();
  try {
    dlib::deserialize(model_path) >> model->predictor;
  } catch (const std::exception& e) {
    throw std::runtime_error(model_path + ": cannot load the dlib landmark model: " + e.what());
  }
  if (model->predictor.num_parts() != 68) {
    throw std::runtime_error(model_path + ": expected a 68-landmark model, it has " +
                             std::to_string(model->predictor.num_parts()) + " landmarks");
  }
  model_ = std::move(model);
}

LandmarkPoseEstimator::~LandmarkPoseEstimator() = default;

HeadPose LandmarkPoseEstimator::estimate(const ImageView& gray, const Box& box) const {
  const Box region = context_region(gray, box);
  const dlib::array2d<unsigned char> image = copy_region(gray, region);
  const dlib::rectangle face(box.x - region.x, box.y - region.y, box.x - region.x + box.width - 1,
                             box.y - region.y + box.height - 1);
  const dlib::full_object_detection shape = model_->predictor(image, face);

  std::vector<cv::Point2d> points;
  for (unsigned long index : kLandmarks) {
    points.emplace_back(static_cast<double>(shape.part(index).x()),
                        static_cast<double>(shape.part(index).y()));
  }
  // An unknown camera: focal length ~ the longer side of the region (a
  // normal lens), principal point at the face. The angles depend little on it.
  const double focal = std::max(region.width, region.height);
  const cv::Point2d centre(box.x - region.x + box.width / 2.0, box.y - region.y + box.height / 2.0);
  const cv::Matx33d camera(focal, 0, centre.x, 0, focal, centre.y, 0, 0, 1);

  // Start from a frontal head at the distance its eye span implies, so the
  // iterative solver does not wander into the mirrored solution.
  const double eye_span = std::max(1.0, cv::norm(points[3] - points[2]));
  const double depth = focal * kModelEyeSpan / eye_span;
  cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
  cv::Mat tvec = (cv::Mat_<double>(3, 1) << (points[0].x - centre.x) * depth / focal,
                  (points[0].y - centre.y) * depth / focal, depth);
  const std::vector<cv::Point3d> model(kModel.begin(), kModel.end());
  cv::solvePnP(model, points, camera, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE);

  HeadPose pose;
  cv::Mat rotation;
  cv::Rodrigues(rvec, rotation);
  yaw_pitch_from_rotation(rotation, pose);
  const cv::Point2d left_eye = centre_of(shape, 36, 41);
  const cv::Point2d right_eye = centre_of(shape, 42, 47);
  pose.roll = std::atan2(right_eye.y - left_eye.y, right_eye.x - left_eye.x) * kDegrees;
  return pose;
}

}  // namespace facegender::prepare
