#include "facegender/pipeline.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_support.hpp"

namespace facegender {
namespace {

TEST(PrepareFaces, IsTheChainOfCoreSteps) {
  const Cascade faces =
      Cascade::from_file(testing::cascade_json("haarcascade_frontalface_default"));
  const std::vector<std::string> photos = testing::face_photos();
  ASSERT_FALSE(photos.empty());
  const cv::Mat bgr = cv::imread(photos.front(), cv::IMREAD_COLOR);
  cv::Mat rgba;
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2RGBA);
  const ImageView frame(std::span<const std::uint8_t>(rgba.data, rgba.total() * 4), rgba.cols,
                        rgba.rows, PixelFormat::RGBA8);
  FaceSearch search;
  search.max_side = 320;
  const CropGeometry geometry{0.25, 100, 80};
  const Normalization norm{0.5f, 0.5f};

  const FaceBatch batch = prepare_faces(faces, frame, search, geometry, norm);
  const Image gray = to_gray(frame);
  const std::vector<Box> boxes = find_faces(faces, gray.view(), search);
  ASSERT_FALSE(boxes.empty());
  ASSERT_EQ(batch.boxes, boxes);
  ASSERT_EQ(batch.input, 80);
  ASSERT_EQ(batch.tensor.size(), boxes.size() * 80 * 80);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const Image crop = crop_face(gray.view(), boxes[i], geometry);
    const std::vector<float> expected = to_tensor(center_crop(crop.view(), 80).view(), norm);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(),
                           batch.tensor.begin() + static_cast<long>(i * 6400)))
        << "face " << i;
  }
}

TEST(PrepareFaces, RejectsABadGeometryEvenWithoutFaces) {
  const Cascade faces =
      Cascade::from_file(testing::cascade_json("haarcascade_frontalface_default"));
  const std::vector<std::uint8_t> blank(64 * 64 * 4, 0);
  const ImageView frame(blank, 64, 64, PixelFormat::RGBA8);
  EXPECT_THROW(prepare_faces(faces, frame, {}, CropGeometry{0.2, 64, 80}, {}), InputError);
  EXPECT_TRUE(prepare_faces(faces, frame, {}, CropGeometry{}, {}).boxes.empty());
}

// Found by tests/fuzz (pixels): boxes of faces with huge or non-finite
// coordinates were converted to int (undefined behaviour); to_box gave an
// empty box for a face that covers the whole image.
TEST(FaceBox, RefusesFacesBeyondPixelCoordinatesAndClipsInfiniteOnes) {
  const float inf = std::numeric_limits<float>::infinity();
  FaceDetection huge;
  huge.x = huge.y = 10;
  huge.width = huge.height = 1e30f;
  EXPECT_THROW(haar_like_box(huge, 100, 80), InputError);
  FaceDetection nan = huge;
  nan.width = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(haar_like_box(nan, 100, 80), InputError);
  CropSpec box_crop;
  EXPECT_THROW(face_box(huge, box_crop, 100, 80), InputError);

  FaceDetection all;
  all.width = all.height = inf;
  EXPECT_EQ(to_box(all, 100, 80), (Box{0, 0, 100, 80}));
  FaceDetection left;
  left.x = -inf;
  left.width = 20;
  left.height = 30;
  EXPECT_EQ(to_box(left, 100, 80), (Box{0, 0, 0, 30}));
  FaceDetection normal;
  normal.x = 10.5f;
  normal.y = -3.2f;
  normal.width = 20.2f;
  normal.height = 30;
  EXPECT_EQ(to_box(normal, 100, 80), (Box{10, 0, 21, 27}));
}

}  // namespace
}  // namespace facegender
