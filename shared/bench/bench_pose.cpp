// How consistent the keypoint pose (facegender/pose.hpp) is on faces whose
// change of pose is known: each photo turned in the image plane by -20..20
// degrees (the roll must change by exactly that) and mirrored (yaw and roll
// must change sign). Prints median and 90th percentile of the errors. Native
// only (OpenCV decodes and rotates).
//
//   bench_pose --detectors build/native/detectors PHOTO...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "facegender/face_finder.hpp"
#include "facegender/pose.hpp"

namespace {

using namespace facegender;

std::optional<HeadPose> pose_of(const FaceFinder& finder, const cv::Mat& bgr) {
  const ImageView view({bgr.data, bgr.total() * 3}, bgr.cols, bgr.rows, PixelFormat::BGR8,
                       bgr.step);
  const auto faces = finder.find(view, scene_settings(Scene::Photo));
  if (faces.empty()) return std::nullopt;
  return estimate_pose(faces.front());
}

double spread(const std::vector<double>& v) {
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

void print(const char* what, std::vector<double> v) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  std::printf("| %s | %zu | %.1f | %.1f |\n", what, v.size(), v[v.size() / 2],
              v[v.size() * 9 / 10]);
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 4 || std::string(argv[1]) != "--detectors") {
    throw std::runtime_error("usage: bench_pose --detectors DIR PHOTO...");
  }
  const std::string dir = argv[2];
  const FaceFinder finder(
      BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_short_range.fgnet"),
                BlazeFaceModel::ShortRange),
      BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_full_range.fgnet"),
                BlazeFaceModel::FullRange));
  std::vector<double> roll_error, mirror_yaw, mirror_roll, yaw_spread, pitch_spread;
  for (int i = 3; i < argc; ++i) {
    const cv::Mat photo = cv::imread(argv[i], cv::IMREAD_COLOR);
    if (photo.empty()) {
      std::fprintf(stderr, "%s: cannot decode, skipped\n", argv[i]);
      continue;
    }
    const std::optional<HeadPose> base = pose_of(finder, photo);
    if (!base) continue;
    cv::Mat mirrored;
    cv::flip(photo, mirrored, 1);
    if (const auto m = pose_of(finder, mirrored)) {
      mirror_yaw.push_back(std::fabs(base->yaw + m->yaw));
      mirror_roll.push_back(std::fabs(base->roll + m->roll));
    }
    std::vector<double> yaws{base->yaw}, pitches{base->pitch};
    for (double angle : {-20.0, -10.0, -5.0, 5.0, 10.0, 20.0}) {
      cv::Mat turned;
      const cv::Mat m = cv::getRotationMatrix2D(
          cv::Point2f(static_cast<float>(photo.cols) / 2, static_cast<float>(photo.rows) / 2),
          angle, 1.0);
      cv::warpAffine(photo, turned, m, photo.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      const auto p = pose_of(finder, turned);
      if (!p) continue;
      // OpenCV's positive angle turns the picture anticlockwise; roll counts clockwise.
      roll_error.push_back(std::fabs(p->roll - (base->roll - angle)));
      yaws.push_back(p->yaw);
      pitches.push_back(p->pitch);
    }
    yaw_spread.push_back(spread(yaws));
    pitch_spread.push_back(spread(pitches));
  }
  std::printf("| check (degrees) | count | median | 90th percentile |\n|---|---:|---:|---:|\n");
  print("roll error after a known turn in the image plane", roll_error);
  print("mirror: yaw + mirrored yaw (should be 0)", mirror_yaw);
  print("mirror: roll + mirrored roll (should be 0)", mirror_roll);
  print("yaw spread over 7 turns of one photo (should be 0)", yaw_spread);
  print("pitch spread over 7 turns of one photo (should be 0)", pitch_spread);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_pose: %s\n", e.what());
  return 1;
}
