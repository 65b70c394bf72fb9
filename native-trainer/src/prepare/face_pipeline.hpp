// One photo's bytes -> its 100x100 gray face crop, with the shared core's
// find_faces and crop_face (the very crop the browser makes), and the filters
// of `facegender prepare`. Thread-safe: one extractor serves every worker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "facegender/dataset.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/pipeline.hpp"
#include "facegender/preprocess.hpp"
#include "prepare/head_pose.hpp"

namespace facegender::prepare {

// The seed's smallest face for the Haar box crop (`--detector haar` without --min-face).
inline constexpr int kHaarMinFace = 100;

struct FaceOptions {
  // "blazeface" (the keypoint detector of the core's presets, the crop
  // `crop` names, the pose from its keypoints: how the shipped model's data
  // was made, and what the page and classify use) or "haar" (the cascades
  // and a box crop, for models made before BlazeFace).
  std::string detector = "blazeface";
  std::string detector_dir;    // holds the BlazeFace .fgnet files
  Scene scene = Scene::Photo;  // the BlazeFace preset: photos; chip for tight dataset crops
  CropSpec crop;               // with blazeface: box or aligned (size = what is stored)
  std::string cascade_dir;     // holds haarcascade_frontalface_default.json (and _eye for roll)
  FaceSearch search{DetectParams{1.1, 3, 0, 0}, 0.25, 0};
  CropGeometry geometry{0.2, 100, 80};
  // Shorter side of the face box, original pixels: the core's dataset rule
  // for BlazeFace; Haar's 100 px box crop keeps the seed's minimum
  // (kHaarMinFace).
  int min_face = FaceRules{}.min_face;
  bool center_when_no_face = false;  // --no-face center: keep a centre square instead
  std::uint64_t max_pixels = 50'000'000;
  bool pose_filter = false;
  double max_yaw = FaceRules{}.pose.yaw;  // the core's limits, as the review page's
  double max_pitch = FaceRules{}.pose.pitch;
  double max_roll = FaceRules{}.pose.roll;
  std::string landmarks;  // dlib 68-landmark model, read only with pose_filter
};

enum class RollSource { None, EyeCascade, Landmarks };

struct FaceCrop {
  std::vector<std::uint8_t> pixels;  // geometry.size^2, row-major gray
  bool face_found = true;            // false: centre crop (--no-face center)
  Box box;                           // in the photo's pixels
  std::optional<HeadPose> pose;      // with pose_filter, for found faces
  float score = 0;                   // blazeface: the detection's score
  RollSource roll_source = RollSource::None;
};

class FaceExtractor {
 public:
  // Loads the cascades (and the landmark model with pose_filter); throws
  // std::runtime_error naming a missing or malformed file.
  explicit FaceExtractor(FaceOptions options);
  ~FaceExtractor();

  // Decodes, finds the largest face (or, with --no-face center, the centre
  // square), checks --min-face, measures the pose (with pose_filter) and
  // crops. Throws SkipImage with the reason the photo is dropped; the pose
  // limits are checked separately (check_pose), so a report can describe the
  // poses of dropped faces too.
  FaceCrop extract(std::span<const std::uint8_t> file_bytes) const;

  const FaceOptions& options() const { return options_; }

 private:
  FaceCrop extract_blazeface(std::span<const std::uint8_t> file_bytes) const;
  FaceCrop centre_crop(const ImageView& gray) const;

  FaceOptions options_;
  std::optional<FaceFinder> finder_;
  Cascade faces_;
  std::optional<Cascade> eyes_;
  std::unique_ptr<LandmarkPoseEstimator> landmarks_;
};

// Throws SkipImage (PoseYaw, PosePitch, PoseRoll, in that order) when a
// measured pose is over the limits; faces without a pose pass.
void check_pose(const FaceCrop& crop, const FaceOptions& options);

}  // namespace facegender::prepare
