#include "facegender/track.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facegender/pipeline.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

// The webcam search of the browser app.
FaceSearch camera_search() {
  FaceSearch search;
  search.detect.min_neighbors = 5;
  search.max_side = 320;
  return search;
}

Cascade face_cascade() {
  return Cascade::from_file(testing::cascade_json("haarcascade_frontalface_default"));
}

// A 640x480 gray "video": one face photo pasted at (x, y) on a mid-gray frame.
class Video {
 public:
  Video() {
    for (const std::string& path : testing::face_photos()) {
      if (path.ends_with("Tom_Cruise_avp_2014_4.jpg"))
        photo_ = cv::imread(path, cv::IMREAD_GRAYSCALE);
    }
    if (!photo_.empty()) cv::resize(photo_, photo_, {}, 0.5, 0.5, cv::INTER_AREA);
  }
  bool ok() const { return !photo_.empty(); }

  cv::Mat frame(int x, int y) const {
    cv::Mat frame(480, 640, CV_8UC1, cv::Scalar(128));
    const cv::Rect target = cv::Rect(x, y, photo_.cols, photo_.rows) & cv::Rect(0, 0, 640, 480);
    photo_(cv::Rect(target.x - x, target.y - y, target.width, target.height)).copyTo(frame(target));
    return frame;
  }

 private:
  cv::Mat photo_;
};

TEST(FaceTracker, RejectsSettingsOutOfRange) {
  EXPECT_THROW(FaceTracker(camera_search(), {0, 2.0, 36}), InputError);
  EXPECT_THROW(FaceTracker(camera_search(), {6, 1.0, 36}), InputError);
  EXPECT_THROW(FaceTracker(camera_search(), {6, 2.0, 8}), InputError);
  EXPECT_NO_THROW(FaceTracker(camera_search(), {1, 2.0, 36}));
}

TEST(FaceTracker, SearchingEveryFrameIsFindFaces) {
  const Video video;
  ASSERT_TRUE(video.ok()) << "Tom_Cruise_avp_2014_4.jpg missing: run scripts/fetch-test-photos.sh";
  const Cascade faces = face_cascade();
  FaceTracker tracker(camera_search(), {1, 2.0, 36});
  for (int step = 0; step < 4; ++step) {
    const cv::Mat frame = video.frame(100 + 7 * step, 20 + 3 * step);
    const ImageView gray = testing::as_view(frame);
    EXPECT_EQ(tracker.update(faces, gray), find_faces(faces, gray, camera_search()));
    EXPECT_TRUE(tracker.last_was_full_search());
  }
}

TEST(FaceTracker, FollowsAMovingFaceBetweenFullSearches) {
  const Video video;
  ASSERT_TRUE(video.ok()) << "Tom_Cruise_avp_2014_4.jpg missing: run scripts/fetch-test-photos.sh";
  const Cascade faces = face_cascade();
  FaceTracker tracker(camera_search(), {4, 2.0, 36});
  int tracked_frames = 0;
  Box last;
  for (int step = 0; step < 12; ++step) {
    const cv::Mat frame = video.frame(60 + 9 * step, 10 + 4 * step);
    const ImageView gray = testing::as_view(frame);
    const std::vector<Box> reference = find_faces(faces, gray, camera_search());
    ASSERT_EQ(reference.size(), 1u) << "step " << step;
    const std::vector<Box> found = tracker.update(faces, gray);
    EXPECT_EQ(tracker.last_was_full_search(), step % 4 == 0) << "step " << step;
    ASSERT_EQ(found.size(), 1u) << "step " << step;
    EXPECT_GT(iou(found[0], reference[0]), 0.7) << "step " << step;
    if (!tracker.last_was_full_search()) {
      ++tracked_frames;
      // The face moved 9 px right: so must its box, not stay where it was.
      EXPECT_GE(found[0].x - last.x, 4) << "step " << step;
    }
    last = found[0];
  }
  EXPECT_EQ(tracked_frames, 9);
}

TEST(FaceTracker, DropsAFaceThatLeavesAndFindsANewOneAtTheNextFullSearch) {
  const Video video;
  ASSERT_TRUE(video.ok()) << "Tom_Cruise_avp_2014_4.jpg missing: run scripts/fetch-test-photos.sh";
  const Cascade faces = face_cascade();
  FaceTracker tracker(camera_search(), {3, 2.0, 36});
  const cv::Mat with_face = video.frame(150, 40);
  const cv::Mat empty(480, 640, CV_8UC1, cv::Scalar(128));
  EXPECT_EQ(tracker.update(faces, testing::as_view(with_face)).size(), 1u);  // full
  EXPECT_TRUE(tracker.update(faces, testing::as_view(empty)).empty());       // tracked: gone
  EXPECT_FALSE(tracker.last_was_full_search());
  EXPECT_TRUE(tracker.update(faces, testing::as_view(with_face)).empty());  // not searched yet
  EXPECT_FALSE(tracker.last_was_full_search());
  EXPECT_EQ(tracker.update(faces, testing::as_view(with_face)).size(), 1u);  // full again
  EXPECT_TRUE(tracker.last_was_full_search());

  tracker.reset();
  EXPECT_EQ(tracker.update(faces, testing::as_view(with_face)).size(), 1u);
  EXPECT_TRUE(tracker.last_was_full_search());
}

TEST(FaceTracker, PrepareFacesWithATrackerCropsWhatItFound) {
  const Video video;
  ASSERT_TRUE(video.ok()) << "Tom_Cruise_avp_2014_4.jpg missing: run scripts/fetch-test-photos.sh";
  const Cascade faces = face_cascade();
  FaceTracker tracker(camera_search(), {2, 2.0, 36});
  FaceTracker twin(camera_search(), {2, 2.0, 36});
  const CropGeometry geometry{0.2, 100, 80};
  for (int step = 0; step < 3; ++step) {
    const cv::Mat frame = video.frame(120 + 5 * step, 30);
    const ImageView gray = testing::as_view(frame);
    const FaceBatch batch = prepare_faces(tracker, faces, gray, geometry, {});
    const std::vector<Box> boxes = twin.update(faces, gray);
    ASSERT_EQ(batch.boxes, boxes) << "step " << step;
    ASSERT_EQ(batch.tensor.size(), boxes.size() * 6400);
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      const Image crop = crop_face(gray, boxes[i], geometry);
      const std::vector<float> expected = to_tensor(center_crop(crop.view(), 80).view(), {});
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(),
                             batch.tensor.begin() + static_cast<long>(i * 6400)));
    }
  }
}

}  // namespace
}  // namespace facegender
