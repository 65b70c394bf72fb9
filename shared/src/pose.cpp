#include "facegender/pose.hpp"

#include <cmath>

#include "facegender/image.hpp"
#include "portable_math.hpp"

namespace facegender {
namespace {

constexpr double kDegreesPerRadian = 57.29577951308232;
// The geometric face: seen turned by an angle a, the nose tip moves off the
// line from the eyes to the mouth by kNoseDepth * tan(a) eye distances (it
// stands ~0.55 eye distances in front of the eyes, the mouth ~0.3), and down
// it by tan(a) / kPitchGain eye-to-mouth distances.
constexpr double kNoseDepth = 0.4;
constexpr double kPitchGain = 0.5;
// Where the nose tip sits on the way from the eyes to the mouth in a frontal
// face (median over UTKFace's frontal-looking val faces; see ARCHITECTURE.md).
constexpr double kFrontalNoseRatio = 0.52;

double degrees_atan(double v) {
  return detail::portable_atan2(v, 1.0) * kDegreesPerRadian;
}

}  // namespace

HeadPose estimate_pose(const FaceDetection& face) {
  const Point r = face.keypoints[kRightEye], l = face.keypoints[kLeftEye];
  const double dx = static_cast<double>(l.x) - r.x, dy = static_cast<double>(l.y) - r.y;
  const double eye_distance = std::sqrt(dx * dx + dy * dy);
  if (!(eye_distance > 0)) throw InputError("head pose: the two eyes are at the same place");
  const double c = dx / eye_distance, s = dy / eye_distance;
  const double ex = (static_cast<double>(r.x) + l.x) / 2.0,
               ey = (static_cast<double>(r.y) + l.y) / 2.0;
  // Keypoints in the face's own frame: x along the eye line, y down to the mouth.
  auto frame = [&](Point p, double& x, double& y) {
    const double px = p.x - ex, py = p.y - ey;
    x = px * c + py * s;
    y = -px * s + py * c;
  };
  double nx, ny, mx, my;
  frame(face.keypoints[kNoseTip], nx, ny);
  frame(face.keypoints[kMouth], mx, my);
  if (!(my > 0.05 * eye_distance)) throw InputError("head pose: the mouth is not below the eyes");
  HeadPose pose;
  pose.roll = detail::portable_atan2(dy, dx) * kDegreesPerRadian;
  const double ratio = ny / my;  // how far down from the eyes to the mouth
  pose.yaw = degrees_atan((nx - mx * ratio) / eye_distance / kNoseDepth);
  pose.pitch = degrees_atan((ratio - kFrontalNoseRatio) / kPitchGain);
  return pose;
}

bool within(const HeadPose& pose, const PoseLimits& limits) {
  return std::fabs(pose.yaw) <= limits.yaw && std::fabs(pose.pitch) <= limits.pitch &&
         std::fabs(pose.roll) <= limits.roll;
}

}  // namespace facegender
