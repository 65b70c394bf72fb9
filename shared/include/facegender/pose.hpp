// Head pose from BlazeFace's six keypoints: roll from the eye line; yaw and
// pitch from where the nose tip sits between the eyes and the mouth, read
// through a simple geometric face (the nose tip stands in front of the eyes
// by about half the distance between them). Rough by design: it is meant for
// keeping frontal faces (|yaw|, |pitch| <= 10 degrees, |roll| <= 5), not for
// measuring angles. See docs/ARCHITECTURE.md for how it was checked.
#pragma once

#include "facegender/blazeface.hpp"

namespace facegender {

struct HeadPose {
  double yaw = 0;    // degrees; positive: the nose points to the image's right
  double pitch = 0;  // degrees; positive: the face looks down
  double roll = 0;   // degrees; positive: turned clockwise in the image
};

// Throws InputError when the eyes coincide or the mouth lies on the eye line.
HeadPose estimate_pose(const FaceDetection& face);

// Whether a pose is within limits (absolute degrees).
struct PoseLimits {
  double yaw = 10;
  double pitch = 10;
  double roll = 5;
};
bool within(const HeadPose& pose, const PoseLimits& limits);

}  // namespace facegender
