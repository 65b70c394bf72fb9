// Head yaw and pitch from dlib's 68 facial landmarks and a generic 3D face
// (cv::solvePnP): how far a face is turned away from frontal. Used by
// `prepare --pose-filter` to keep near-frontal faces only.
#pragma once

#include <memory>
#include <string>

#include "facegender/image.hpp"

namespace facegender::prepare {

struct HeadPose {
  double yaw = 0.0;    // degrees, turn left/right (rotation about the image's vertical axis)
  double pitch = 0.0;  // degrees, nod up/down (about the horizontal axis)
  double roll = 0.0;   // degrees, clockwise in the image, from the landmarks' eye line
};

class LandmarkPoseEstimator {
 public:
  // Loads dlib's shape_predictor_68_face_landmarks.dat (Debian libdlib-data:
  // /usr/share/dlib/). Throws std::runtime_error naming the file.
  explicit LandmarkPoseEstimator(const std::string& model_path);
  ~LandmarkPoseEstimator();
  LandmarkPoseEstimator(const LandmarkPoseEstimator&) = delete;
  LandmarkPoseEstimator& operator=(const LandmarkPoseEstimator&) = delete;

  // Pose of the face in `box` of a Gray8 image. Thread-safe (const).
  HeadPose estimate(const ImageView& gray, const Box& box) const;

 private:
  struct Model;
  std::unique_ptr<const Model> model_;
};

}  // namespace facegender::prepare
