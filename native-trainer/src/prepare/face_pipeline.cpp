#include "prepare/face_pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "facegender/pipeline.hpp"
#include "facegender/pose.hpp"
#include "prepare/decode.hpp"
#include "prepare/skip.hpp"

namespace facegender::prepare {
namespace {

Cascade load_cascade(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name + ".json";
  try {
    return Cascade::from_file(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot load the cascade (" + e.what() +
                             "); pass --cascades with the folder of the JSON cascades");
  }
}

std::string degrees(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

// The largest centred square, for photos the detector finds no face in.
Box centre_square(const ImageView& gray) {
  const int side = std::min(gray.width(), gray.height());
  return {(gray.width() - side) / 2, (gray.height() - side) / 2, side, side};
}

void check_face_size(const Box& box, int min_face) {
  const int shorter = std::min(box.width, box.height);
  if (shorter < min_face) {
    throw SkipImage(Reason::FaceTooSmall,
                    "face " + std::to_string(box.width) + "x" + std::to_string(box.height) +
                        " px is under --min-face " + std::to_string(min_face));
  }
}

void check_limit(Reason reason, const char* name, double value, double limit) {
  if (std::abs(value) > limit) {
    throw SkipImage(reason, std::string(name) + " " + degrees(value) + " deg exceeds the limit " +
                                degrees(limit));
  }
}

}  // namespace

FaceFinder load_finder(const std::string& dir) {
  try {
    return FaceFinder(
        BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_short_range.fgnet"),
                  BlazeFaceModel::ShortRange),
        BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_full_range.fgnet"),
                  BlazeFaceModel::FullRange));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) +
                             "; pass --detectors with the folder of the .fgnet files");
  }
}

FaceExtractor::FaceExtractor(FaceOptions options)
    : options_(std::move(options)),
      faces_(load_cascade(options_.cascade_dir, "haarcascade_frontalface_default")) {
  validate(options_.geometry);
  if (options_.detector == "blazeface") {
    finder_ = load_finder(options_.detector_dir);
    if (options_.crop.kind == CropKind::Box) options_.crop.box = options_.geometry;
    return;
  }
  if (options_.detector != "haar") {
    throw std::runtime_error("--detector must be haar or blazeface, not " + options_.detector);
  }
  if (options_.pose_filter) {
    eyes_ = load_cascade(options_.cascade_dir, "haarcascade_eye");
    landmarks_ = std::make_unique<LandmarkPoseEstimator>(options_.landmarks);
  }
}

FaceExtractor::~FaceExtractor() = default;

// The best face of the scene preset; pose from its keypoints; the crop the
// model will see (box crops are stored at geometry.size, aligned crops at
// their own size).
FaceCrop FaceExtractor::extract_blazeface(std::span<const std::uint8_t> file_bytes) const {
  const Image rgb = decode_rgb(file_bytes, options_.max_pixels);
  const std::vector<FaceDetection> found =
      finder_->find(rgb.view(), scene_settings(options_.scene));
  const Image gray = to_gray(rgb.view());
  if (found.empty()) {
    if (!options_.center_when_no_face) throw SkipImage(Reason::NoFace, "no face found");
    return centre_crop(gray.view());
  }
  const FaceDetection& face = found.front();
  FaceCrop crop;
  crop.score = face.score;
  crop.box = options_.crop.kind == CropKind::Box ? haar_like_box(face, gray.width(), gray.height())
                                                 : to_box(face, gray.width(), gray.height());
  check_face_size(crop.box, options_.min_face);
  if (options_.pose_filter) {
    const facegender::HeadPose p = estimate_pose(face);
    crop.pose = HeadPose{p.yaw, p.pitch, p.roll};
    crop.roll_source = RollSource::Landmarks;
  }
  const Image pixels = stored_crop(gray.view(), face, options_.crop);
  crop.pixels.assign(pixels.pixels().begin(), pixels.pixels().end());
  return crop;
}

// --no-face center with BlazeFace: the centre square, scaled to the size
// the crop is stored at (no keypoints, so no alignment).
FaceCrop FaceExtractor::centre_crop(const ImageView& gray) const {
  FaceCrop crop;
  crop.box = centre_square(gray);
  crop.face_found = false;
  check_face_size(crop.box, options_.min_face);
  const int stored =
      options_.crop.kind == CropKind::Aligned ? options_.crop.aligned.size : options_.geometry.size;
  const Image square = crop_face(gray, crop.box, CropGeometry{0.0, stored, stored});
  crop.pixels.assign(square.pixels().begin(), square.pixels().end());
  return crop;
}

FaceCrop FaceExtractor::extract(std::span<const std::uint8_t> file_bytes) const {
  if (finder_) return extract_blazeface(file_bytes);
  const Image gray = decode_gray(file_bytes, options_.max_pixels);
  FaceCrop crop;
  const std::vector<Box> found = find_faces(faces_, gray.view(), options_.search);
  if (!found.empty()) {
    crop.box = found.front();  // largest first
  } else if (options_.center_when_no_face) {
    crop.box = centre_square(gray.view());
    crop.face_found = false;
  } else {
    throw SkipImage(Reason::NoFace, "no face found");
  }
  check_face_size(crop.box, options_.min_face);

  if (options_.pose_filter && crop.face_found) {
    // Roll as the browser's core measures it (eye cascade); the landmarks'
    // eye line only when the cascade does not find two eyes.
    HeadPose pose = landmarks_->estimate(gray.view(), crop.box);
    crop.roll_source = RollSource::Landmarks;
    if (const std::optional<double> roll = estimate_roll(*eyes_, gray.view(), crop.box)) {
      pose.roll = *roll;
      crop.roll_source = RollSource::EyeCascade;
    }
    crop.pose = pose;
  }

  const Image face = crop_face(gray.view(), crop.box, options_.geometry);
  crop.pixels.assign(face.pixels().begin(), face.pixels().end());
  return crop;
}

void check_pose(const FaceCrop& crop, const FaceOptions& options) {
  if (!options.pose_filter || !crop.pose) return;
  check_limit(Reason::PoseYaw, "yaw", crop.pose->yaw, options.max_yaw);
  check_limit(Reason::PosePitch, "pitch", crop.pose->pitch, options.max_pitch);
  check_limit(Reason::PoseRoll, "roll", crop.pose->roll, options.max_roll);
}

}  // namespace facegender::prepare
