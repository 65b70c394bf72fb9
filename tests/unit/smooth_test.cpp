#include <gtest/gtest.h>

#include "facegender/track.hpp"

namespace facegender {
namespace {

FaceDetection face_at(float x, float y, float side = 100) {
  FaceDetection f;
  f.x = x;
  f.y = y;
  f.width = f.height = side;
  f.score = 0.9f;
  for (std::size_t k = 0; k < f.keypoints.size(); ++k)
    f.keypoints[k] = {x + 10.0f * static_cast<float>(k), y + 50};
  return f;
}

TEST(FaceSmoother, StillHeadsMoveHalfWayMovingHeadsAllTheWay) {
  FaceSmoother smoother;
  EXPECT_EQ(smoother.update({face_at(100, 100)})[0].x, 100.0f);  // first frame: as found
  const FaceDetection jitter = smoother.update({face_at(104, 100)})[0];
  EXPECT_FLOAT_EQ(jitter.x, 102.0f);  // 4 px < 8% of 100: half way
  EXPECT_FLOAT_EQ(jitter.keypoints[0].x, 102.0f);
  const FaceDetection moved = smoother.update({face_at(130, 100)})[0];
  EXPECT_FLOAT_EQ(moved.x, 130.0f);  // 28 px: all the way, no trailing
}

TEST(FaceSmoother, NewAndVanishedFacesAreNotBlended) {
  FaceSmoother smoother;
  smoother.update({face_at(0, 0)});
  const auto faces = smoother.update({face_at(400, 0), face_at(2, 0)});
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_EQ(faces[0].x, 400.0f);      // no earlier face there
  EXPECT_FLOAT_EQ(faces[1].x, 1.0f);  // the old one, half way
  EXPECT_TRUE(smoother.update({}).empty());
  EXPECT_EQ(smoother.update({face_at(3, 0)})[0].x, 3.0f);  // gone a frame: starts afresh
  EXPECT_THROW(FaceSmoother(SmoothSettings{0.0f, 0.1f}), InputError);
}

}  // namespace
}  // namespace facegender
