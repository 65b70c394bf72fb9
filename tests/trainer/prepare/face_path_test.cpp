// The face-finding path on real photos (dlib's example faces): the stored
// crop is exactly the shared core's crop of the largest face, the size floor,
// and head pose from landmarks (mirror symmetry, rotation, the filter).
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "facegender/align.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/preprocess.hpp"
#include "fixtures.hpp"
#include "prepare/head_pose.hpp"
#include "prepare/prepare.hpp"
#include "test_support.hpp"

namespace facegender::testing {
namespace {

namespace fs = std::filesystem;
using dataset::PackedDataset;

constexpr const char* kLandmarks = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

std::string photo(const std::string& name) {
  for (const std::string& path : face_photos()) {
    if (fs::path(path).filename() == name) return path;
  }
  ADD_FAILURE() << name << " is not among the test photos";
  return "";
}

Image gray_of(const cv::Mat& bgr) {
  return to_gray(as_view(bgr));
}

Box largest_face(const Image& gray) {
  const Cascade faces = Cascade::from_file(cascade_json("haarcascade_frontalface_default"));
  const std::vector<Box> found =
      find_faces(faces, gray.view(), FaceSearch{DetectParams{}, 0.25, 1024});
  EXPECT_FALSE(found.empty());
  return found.empty() ? Box{} : found.front();
}

// Tom Cruise (one large frontal face) in class 0, bald_guys (26 faces, the
// largest 332 px) in class 1.
prepare::PrepareOptions photo_options(const TempDir& dir) {
  fs::create_directories(dir / "Train/0");
  fs::create_directories(dir / "Train/1");
  fs::copy_file(photo("Tom_Cruise_avp_2014_4.jpg"), dir / "Train/0/tom.jpg");
  fs::copy_file(photo("bald_guys.jpg"), dir / "Train/1/bald.jpg");
  prepare::PrepareOptions options;
  options.input_dir = dir.path().string();
  // The Haar path with the seed's minimum face (the BlazeFace path has its own test below).
  options.face.detector = "haar";
  options.face.min_face = prepare::kHaarMinFace;
  options.face.cascade_dir = FACEGENDER_CASCADE_DIR;
  options.face.search.max_side = 1024;
  options.face.landmarks = kLandmarks;
  options.threads = 2;
  options.progress = false;
  return options;
}

PackedDataset run(const prepare::PrepareOptions& options) {
  std::ostringstream log;
  return prepare::prepare_dataset(options, log);
}

TEST(FacePath, StoredCropIsTheCoresCropOfTheLargestFace) {
  TempDir dir;
  const PackedDataset data = run(photo_options(dir));
  ASSERT_EQ(data.size(), 2u);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const dataset::Record& record = data.records[i];
    EXPECT_TRUE(record.face_found) << record.source;
    const Image gray = gray_of(cv::imread(dir / record.source, cv::IMREAD_COLOR));
    const Image expected = crop_face(gray.view(), largest_face(gray), CropGeometry{0.2, 100, 80});
    const auto face = data.face(i);
    EXPECT_TRUE(std::equal(face.begin(), face.end(), expected.pixels().begin())) << record.source;
  }
}

// --detector blazeface --crop aligned: the stored crop is the core's aligned
// crop of the best face (stored at the crop size, 100, with the scale that
// makes its centre 80 the model's 80-pixel aligned crop).
TEST(FacePath, BlazeFaceStoresTheCoresAlignedCrop) {
  TempDir dir;
  prepare::PrepareOptions options = photo_options(dir);
  options.face.detector = "blazeface";
  options.face.detector_dir = FACEGENDER_DETECTOR_DIR;
  options.face.scene = Scene::Photo;
  options.face.crop.kind = CropKind::Aligned;
  options.face.crop.aligned.scale *= 100.0 / 80.0;
  options.face.crop.aligned.size = 100;
  const PackedDataset data = run(options);
  ASSERT_EQ(data.size(), 2u);
  const FaceFinder finder(
      BlazeFace(InferenceNetwork::from_file(std::string(FACEGENDER_DETECTOR_DIR) +
                                            "/face_detection_short_range.fgnet"),
                BlazeFaceModel::ShortRange),
      BlazeFace(InferenceNetwork::from_file(std::string(FACEGENDER_DETECTOR_DIR) +
                                            "/face_detection_full_range.fgnet"),
                BlazeFaceModel::FullRange));
  for (std::size_t i = 0; i < data.size(); ++i) {
    const cv::Mat bgr = cv::imread(dir / data.records[i].source, cv::IMREAD_COLOR);
    const auto faces = finder.find(as_view(bgr), scene_settings(Scene::Photo));
    ASSERT_FALSE(faces.empty());
    const Image expected =
        aligned_crop(gray_of(bgr).view(), faces.front(), options.face.crop.aligned);
    const auto face = data.face(i);
    EXPECT_TRUE(std::equal(face.begin(), face.end(), expected.pixels().begin()))
        << data.records[i].source;
  }
  EXPECT_EQ(data.provenance.at("options").at("detector"), "blazeface");
  EXPECT_EQ(data.provenance.at("options").at("model_crop").at("size"), 80);
}

TEST(FacePath, MinimumFaceSizeDropsSmallFaces) {
  TempDir dir;
  prepare::PrepareOptions options = photo_options(dir);
  options.face.min_face = 400;  // Tom's face is ~507 px, bald_guys' largest ~332 px
  const PackedDataset data = run(options);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data.records[0].source, "Train/0/tom.jpg");
  EXPECT_EQ(data.report.at("dropped_by_reason").at("face_too_small"), 1);
}

TEST(FacePath, PaddingFindsFacesInTightCrops) {
  // A crop inside the face box (15% off each side) leaves the cascade no
  // context around the face: unpadded it finds nothing, with the default 25%
  // replicated padding it finds the face.
  TempDir dir;
  prepare::PrepareOptions options = photo_options(dir);
  const cv::Mat tom = cv::imread(dir / "Train/0/tom.jpg", cv::IMREAD_COLOR);
  const Box box = largest_face(gray_of(tom));
  const int inset = box.width * 15 / 100;
  const cv::Mat tight =
      tom(cv::Rect(box.x + inset, box.y + inset, box.width - 2 * inset, box.height - 2 * inset));
  write_bytes(dir / "Train/0/tight.png", encode(tight, ".png"));
  const PackedDataset padded = run(options);
  EXPECT_EQ(padded.size(), 3u);
  options.face.search.pad_fraction = 0.0;
  const PackedDataset unpadded = run(options);
  EXPECT_EQ(unpadded.size(), 2u);
  EXPECT_EQ(unpadded.report.at("dropped_by_reason").at("no_face"), 1);
  const std::string skipped = unpadded.report.at("skipped_files").at(0).at("file");
  EXPECT_TRUE(skipped.ends_with("Train/0/tight.png")) << skipped;
}

TEST(HeadPose, FrontalFaceMirrorsAndRotates) {
  const prepare::LandmarkPoseEstimator estimator(kLandmarks);
  cv::Mat tom = cv::imread(photo("Tom_Cruise_avp_2014_4.jpg"), cv::IMREAD_COLOR);
  const Image gray = gray_of(tom);
  const Box box = largest_face(gray);
  const prepare::HeadPose pose = estimator.estimate(gray.view(), box);
  EXPECT_LT(std::abs(pose.yaw), 10.0);  // a near-frontal portrait
  EXPECT_LT(std::abs(pose.pitch), 10.0);
  EXPECT_LT(std::abs(pose.roll), 10.0);

  // Mirroring the photo (and the box) negates yaw and roll, keeps pitch.
  cv::Mat mirrored;
  cv::flip(tom, mirrored, 1);
  const Box mirrored_box{gray.width() - box.x - box.width, box.y, box.width, box.height};
  const prepare::HeadPose flipped = estimator.estimate(gray_of(mirrored).view(), mirrored_box);
  EXPECT_NEAR(flipped.yaw, -pose.yaw, 2.0);
  EXPECT_NEAR(flipped.roll, -pose.roll, 2.0);
  EXPECT_NEAR(flipped.pitch, pose.pitch, 2.0);

  // Turning the photo 15 degrees clockwise about the face adds 15 to roll.
  const cv::Point2f centre(static_cast<float>(box.x + box.width / 2.0),
                           static_cast<float>(box.y + box.height / 2.0));
  cv::Mat turned;
  cv::warpAffine(tom, turned, cv::getRotationMatrix2D(centre, -15.0, 1.0), tom.size(),
                 cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const prepare::HeadPose rolled = estimator.estimate(gray_of(turned).view(), box);
  EXPECT_NEAR(rolled.roll - pose.roll, 15.0, 3.0);
  EXPECT_LT(std::abs(rolled.yaw - pose.yaw), 5.0);
}

TEST(HeadPose, MissingModelIsAnErrorNamingIt) {
  try {
    prepare::LandmarkPoseEstimator estimator("/nonexistent/landmarks.dat");
    FAIL() << "a missing model was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/landmarks.dat"), std::string::npos);
  }
}

TEST(PoseFilter, LimitsDropTurnedFacesWithTheirReason) {
  TempDir dir;
  prepare::PrepareOptions options = photo_options(dir);
  options.face.pose_filter = true;
  options.face.max_yaw = options.face.max_pitch = options.face.max_roll = 45.0;
  const PackedDataset loose = run(options);
  EXPECT_EQ(loose.size(), 2u);
  EXPECT_EQ(loose.report.at("pose").at("measured"), 2);

  options.face.max_yaw = 0.5;  // nobody is that frontal
  const PackedDataset strict_yaw = run(options);
  EXPECT_EQ(strict_yaw.size(), 0u);
  EXPECT_EQ(strict_yaw.report.at("dropped_by_reason").at("pose_yaw"), 2);

  options.face.max_yaw = 45.0;
  options.face.max_roll = 0.01;
  const PackedDataset strict_roll = run(options);
  EXPECT_EQ(strict_roll.report.at("dropped_by_reason").value("pose_roll", 0), 2);
}

}  // namespace
}  // namespace facegender::testing
