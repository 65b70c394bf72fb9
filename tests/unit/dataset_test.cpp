#include "facegender/dataset.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "facegender/image.hpp"

namespace facegender {
namespace {

TEST(SplitRule, KnownHashesGoToKnownSplits) {
  // First 8 hex digits as an integer, mod 10: 0 test, 1 val, else train.
  EXPECT_EQ(split_of_sha256("00000000" + std::string(56, 'f')), Split::Test);
  EXPECT_EQ(split_of_sha256("0000000a" + std::string(56, '0')), Split::Test);  // 10
  EXPECT_EQ(split_of_sha256("00000001" + std::string(56, '0')), Split::Val);
  EXPECT_EQ(split_of_sha256("0000000b" + std::string(56, '0')), Split::Val);    // 11
  EXPECT_EQ(split_of_sha256("ffffffff" + std::string(56, '0')), Split::Train);  // ...295
  // UTKFace's labels.csv values (0x15b52fdf % 10 = 7, 0xb9f00abe % 10 = 0).
  EXPECT_EQ(split_of_sha256("15b52fdfc03a1f9ff75a2432b4164c81f1fc4a5defc508723718fc30d377286c"),
            Split::Train);
  EXPECT_EQ(split_of_sha256("b9f00abe56f5cc8c1526e77d1182047190de34762a205a6b048b302ca6c68ba6"),
            Split::Test);
  // Upper-case hex reads the same.
  EXPECT_EQ(split_of_sha256("0000000B"), Split::Val);
}

TEST(SplitRule, AgreesWithANaiveModuloOnEveryLastDigit) {
  for (unsigned n = 0; n < 4096; n += 7) {
    char head[9];
    std::snprintf(head, sizeof head, "%08x", n * 1048573u);
    const unsigned value = n * 1048573u;
    const Split expected = value % 10 == 0   ? Split::Test
                           : value % 10 == 1 ? Split::Val
                                             : Split::Train;
    EXPECT_EQ(split_of_sha256(head), expected) << head;
  }
}

TEST(SplitRule, RejectsMalformedHashesNamingThem) {
  for (const std::string bad : {"", "1234567", "1234567g00", "-1234567", " 12345678"}) {
    try {
      split_of_sha256(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(SplitNames, RoundTripAndRejectUnknown) {
  for (const Split split : {Split::Train, Split::Val, Split::Test})
    EXPECT_EQ(parse_split(to_string(split)), split);
  EXPECT_THROW(parse_split("validation"), InputError);
}

// A frontal face whose box is side x side at (x, y); keypoints placed as
// BlazeFace puts them on a frontal face (nose tip 0.52 of the way from the
// eyes to the mouth), rotated by roll degrees and the nose shifted
// sideways by nose_shift eye distances.
FaceDetection face(float x, float y, float side, double roll = 0, double nose_shift = 0) {
  FaceDetection f{x, y, side, side, {}, 0.9f};
  const double cx = x + side / 2, cy = y + side * 0.4, eye = side * 0.35;
  const double a = roll * 3.14159265358979 / 180;
  auto place = [&](double dx, double dy) {
    return Point{static_cast<float>(cx + dx * std::cos(a) - dy * std::sin(a)),
                 static_cast<float>(cy + dx * std::sin(a) + dy * std::cos(a))};
  };
  const double mouth = eye * 1.1;
  f.keypoints[kRightEye] = place(-eye / 2, 0);
  f.keypoints[kLeftEye] = place(eye / 2, 0);
  f.keypoints[kNoseTip] = place(nose_shift * eye, 0.52 * mouth);
  f.keypoints[kMouth] = place(0, mouth);
  f.keypoints[kRightEar] = place(-eye, 0.2 * eye);
  f.keypoints[kLeftEar] = place(eye, 0.2 * eye);
  return f;
}

TEST(CheckFaces, OneFrontalFaceOfTheMinimumSizeIsClean) {
  const std::vector<FaceDetection> one{face(20, 20, 40)};
  const FaceCheck check = check_faces(one, 200, 200);
  EXPECT_EQ(check.issue, FaceIssue::None) << check.detail;
  EXPECT_TRUE(check.detail.empty());
}

TEST(CheckFaces, ReportsEachProblemWithItsReason) {
  EXPECT_EQ(check_faces({}, 200, 200).issue, FaceIssue::NoFace);

  const std::vector<FaceDetection> two{face(10, 10, 80), face(110, 10, 60)};
  const FaceCheck several = check_faces(two, 200, 200);
  EXPECT_EQ(several.issue, FaceIssue::SeveralFaces);
  EXPECT_NE(several.detail.find("2 faces"), std::string::npos) << several.detail;

  const std::vector<FaceDetection> small{face(20, 20, 38.5f)};
  const FaceCheck too_small = check_faces(small, 200, 200);
  EXPECT_EQ(too_small.issue, FaceIssue::TooSmall);
  EXPECT_NE(too_small.detail.find("under the minimum 40"), std::string::npos) << too_small.detail;

  const std::vector<FaceDetection> rolled{face(20, 20, 100, 12)};
  const FaceCheck roll = check_faces(rolled, 200, 200);
  EXPECT_EQ(roll.issue, FaceIssue::TooTurned);
  EXPECT_NE(roll.detail.find("roll 12.0 deg is over 5.0"), std::string::npos) << roll.detail;

  const std::vector<FaceDetection> turned{face(20, 20, 100, 0, 0.3)};
  const FaceCheck yaw = check_faces(turned, 200, 200);
  EXPECT_EQ(yaw.issue, FaceIssue::TooTurned);
  EXPECT_EQ(yaw.detail.rfind("yaw ", 0), 0u) << yaw.detail;
}

TEST(CheckFaces, TheRulesAreTheCallers) {
  const std::vector<FaceDetection> small{face(20, 20, 30, 8)};
  FaceRules loose;
  loose.min_face = 24;
  loose.pose.roll = 10;
  EXPECT_EQ(check_faces(small, 200, 200, loose).issue, FaceIssue::None);
  EXPECT_EQ(check_faces(small, 200, 200).issue, FaceIssue::TooSmall);
}

TEST(CheckFaces, TheBoxIsClippedToThePhotoBeforeItsSizeIsChecked) {
  // 60 px wide, but only 30 px of it inside a 100 px wide photo.
  const std::vector<FaceDetection> edge{face(70, 10, 60)};
  EXPECT_EQ(check_faces(edge, 100, 100).issue, FaceIssue::TooSmall);
}

TEST(CheckFaces, RefusesANonPositiveSize) {
  const std::vector<FaceDetection> one{face(0, 0, 50)};
  EXPECT_THROW(check_faces(one, 0, 100), InputError);
}

TEST(FaceIssueNames, AreTheSnakeCaseNames) {
  EXPECT_STREQ(to_string(FaceIssue::SeveralFaces), "several_faces");
  EXPECT_STREQ(to_string(FaceIssue::TooTurned), "too_turned");
}

}  // namespace
}  // namespace facegender
