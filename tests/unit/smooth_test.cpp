#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

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
  EXPECT_THROW(FaceSmoother(SmoothSettings{0.5f, 0.1f, 0.0f}), InputError);
}

TEST(FaceSmoother, FacesKeepTheirIdentityWhileInView) {
  FaceSmoother smoother;
  smoother.update({face_at(0, 0), face_at(400, 0)});
  const std::vector<int> first = smoother.identities();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0], first[1]);
  // Listed the other way round: each face keeps its own number.
  smoother.update({face_at(402, 0), face_at(3, 0)});
  EXPECT_EQ(smoother.identities(), (std::vector<int>{first[1], first[0]}));
  smoother.update({face_at(800, 0)});  // both gone, a new face
  ASSERT_EQ(smoother.identities().size(), 1u);
  EXPECT_GT(smoother.identities()[0], std::max(first[0], first[1]));
  smoother.reset();
  EXPECT_TRUE(smoother.identities().empty());
}

TEST(FaceSmoother, ProbabilitiesAreAveragedPerFace) {
  FaceSmoother smoother;  // probability_follow 0.3
  smoother.update({face_at(0, 0)});
  EXPECT_EQ(smoother.smooth_probabilities({0.9f, 0.1f}, 2), (std::vector<float>{0.9f, 0.1f}));
  // The same head, now with a new face beside it: the head's row moves 30%
  // of the way, the newcomer's is taken as it is.
  smoother.update({face_at(500, 0), face_at(1, 0)});
  const std::vector<float> rows = smoother.smooth_probabilities({0.2f, 0.8f, 0.1f, 0.9f}, 2);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_FLOAT_EQ(rows[0], 0.2f);
  EXPECT_FLOAT_EQ(rows[2], 0.9f + (0.1f - 0.9f) * 0.3f);
  EXPECT_FLOAT_EQ(rows[2] + rows[3], 1.0f);
  EXPECT_THROW(smoother.smooth_probabilities({0.5f, 0.5f}, 2), InputError);  // 2 faces
  EXPECT_THROW(smoother.smooth_probabilities({}, 0), InputError);
}

}  // namespace
}  // namespace facegender
