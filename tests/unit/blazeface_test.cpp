#include "facegender/blazeface.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facegender/align.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/pose.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

TEST(Anchors, FollowMediaPipesSsdOptions) {
  const std::vector<Point> s = blazeface_anchors(BlazeFaceModel::ShortRange);
  ASSERT_EQ(s.size(), 896u);  // 16x16 cells x 2 + 8x8 cells x 6
  EXPECT_EQ(s[0], (Point{0.5f / 16, 0.5f / 16}));
  EXPECT_EQ(s[1], s[0]);
  EXPECT_EQ(s[2], (Point{1.5f / 16, 0.5f / 16}));
  EXPECT_EQ(s[512], (Point{0.5f / 8, 0.5f / 8}));
  EXPECT_EQ(s[517], s[512]);
  EXPECT_EQ(s.back(), (Point{7.5f / 8, 7.5f / 8}));
  const std::vector<Point> f = blazeface_anchors(BlazeFaceModel::FullRange);
  ASSERT_EQ(f.size(), 2304u);  // 48x48 cells x 1
  EXPECT_EQ(f[1], (Point{1.5f / 48, 0.5f / 48}));
}

FaceDetection detection(float x, float score) {
  FaceDetection d;
  d.x = x;
  d.width = d.height = 0.4f;
  d.score = score;
  for (Point& p : d.keypoints) p = {x, 0};
  return d;
}

TEST(WeightedNms, AveragesWhatOverlapsAndKeepsTheBestScore) {
  const auto kept =
      weighted_nms({detection(0.30f, 0.9f), detection(0.90f, 0.8f), detection(0.34f, 0.3f)}, 0.3f);
  ASSERT_EQ(kept.size(), 2u);
  const float expected = (0.30f * 0.9f + 0.34f * 0.3f) / (0.9f + 0.3f);
  EXPECT_NEAR(kept[0].x, expected, 1e-6);
  EXPECT_NEAR(kept[0].keypoints[3].x, expected, 1e-6);
  EXPECT_EQ(kept[0].score, 0.9f);
  EXPECT_EQ(kept[1].x, 0.90f);
}

TEST(Letterbox, CentresTheScaledImageOnBlack) {
  Image img(4, 2, PixelFormat::RGB8);
  for (auto& v : img.pixels()) v = 255;
  const std::vector<float> t = letterbox_input(img.view(), {0, 0, 4, 2}, 8);
  ASSERT_EQ(t.size(), 8u * 8 * 3);
  // Rows 2..5 hold the image (white, 1.0); the rest is black (-1).
  for (int y = 0; y < 8; ++y) {
    const float expected = (y >= 2 && y < 6) ? 1.0f : -1.0f;
    EXPECT_EQ(t[(y * 8 + 3) * 3 + 1], expected) << y;
  }
  EXPECT_THROW(letterbox_input(img.view(), {2, 0, 4, 2}, 8), InputError);
}

// Also found by the asan preset: the second file below has no constants, and
// copying them passed memcpy a null pointer (undefined behaviour).
TEST(Network, RejectsFilesThatAreNotNetworks) {
  const std::vector<std::uint8_t> junk{'n', 'o', 't', ' ', 'a', ' ', 'n', 'e', 't', 0, 0, 0};
  try {
    InferenceNetwork::from_bytes(junk, "junk.fgnet");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.fgnet"), std::string::npos);
  }
  std::string header =
      R"({"format":1,"tensors":[{"shape":[1,2,2,1],"constant":-1},{"shape":[1,2,2,1],"constant":-1}],"inputs":[0],"outputs":[1],"ops":[{"op":"softmax","in":[0],"out":[1]}]})";
  std::vector<std::uint8_t> bytes{'F', 'G', 'N', 'E', 'T', '1', 0, 0};
  const auto size = static_cast<std::uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(size >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  EXPECT_THROW(InferenceNetwork::from_bytes(bytes, "unknown-op.fgnet"), InputError);
}

class Detectors : public ::testing::Test {
 protected:
  static FaceFinder finder() {
    const std::string dir = FACEGENDER_DETECTOR_DIR;
    return FaceFinder(
        BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_short_range.fgnet"),
                  BlazeFaceModel::ShortRange),
        BlazeFace(InferenceNetwork::from_file(dir + "/face_detection_full_range.fgnet"),
                  BlazeFaceModel::FullRange));
  }
  static cv::Mat photo(const std::string& name) {
    cv::Mat bgr =
        cv::imread(std::string(FACEGENDER_TEST_PHOTOS) + "/dlib-faces/" + name, cv::IMREAD_COLOR);
    EXPECT_FALSE(bgr.empty()) << name << " (run scripts/fetch-test-photos.sh)";
    return bgr;
  }
};

TEST_F(Detectors, NetworksHaveBlazeFacesShapes) {
  const FaceFinder f = finder();
  EXPECT_EQ(f.short_range().input_size(), 128);
  EXPECT_EQ(f.full_range().input_size(), 192);
  EXPECT_EQ(f.short_range().multiply_adds(), 30760960);  // NOTES.md: 30.8 M
  EXPECT_THROW(BlazeFace(InferenceNetwork::from_file(std::string(FACEGENDER_DETECTOR_DIR) +
                                                     "/face_detection_short_range.fgnet"),
                         BlazeFaceModel::FullRange),
               InputError);
}

TEST_F(Detectors, FindTheFaceWithItsKeypointsInPlace) {
  const cv::Mat bgr = photo("Tom_Cruise_avp_2014_4.jpg");
  const auto faces = finder().find(testing::as_view(bgr), scene_settings(Scene::Photo));
  ASSERT_EQ(faces.size(), 1u);
  const FaceDetection& f = faces[0];
  EXPECT_GT(f.score, 0.75f);
  EXPECT_GT(f.width, 0.5f * static_cast<float>(bgr.cols));
  for (const Point& p : f.keypoints) {
    EXPECT_GT(p.x, f.x - 0.2f * f.width);
    EXPECT_LT(p.x, f.x + 1.2f * f.width);
  }
  // The person's right eye is on the image's left; both eyes above the nose,
  // the nose above the mouth.
  EXPECT_LT(f.keypoints[kRightEye].x, f.keypoints[kLeftEye].x);
  EXPECT_LT(f.keypoints[kLeftEye].y, f.keypoints[kNoseTip].y);
  EXPECT_LT(f.keypoints[kNoseTip].y, f.keypoints[kMouth].y);
  const HeadPose pose = estimate_pose(f);
  EXPECT_LT(std::fabs(pose.roll), 15.0);
}

TEST_F(Detectors, FindGroupsAndNoFaceOnDogs) {
  const FaceFinder f = finder();
  const SceneSettings photo_preset = scene_settings(Scene::Photo);
  EXPECT_TRUE(f.find(testing::as_view(photo("dogs.jpg")), photo_preset).empty());
  const auto group = f.find(testing::as_view(photo("2008_004176.jpg")), photo_preset);
  EXPECT_EQ(group.size(), 7u);
  for (std::size_t i = 0; i < group.size(); ++i) {
    for (std::size_t j = 0; j < group.size(); ++j) {
      if (i == j) continue;
      const Box a = to_box(group[i], 10000, 10000), b = to_box(group[j], 10000, 10000);
      EXPECT_LT(iou(a, b), 0.3) << "boxes " << i << " and " << j << " overlap";
    }
  }
}

TEST_F(Detectors, FindAFaceThatFillsThePicture) {
  const cv::Mat bgr = photo("Tom_Cruise_avp_2014_4.jpg");
  const FaceFinder f = finder();
  const auto face = f.find(testing::as_view(bgr), scene_settings(Scene::Photo)).at(0);
  const Box b = to_box(face, bgr.cols, bgr.rows);
  const cv::Mat tight = bgr(cv::Rect(b.x, b.y, b.width, b.height)).clone();
  EXPECT_EQ(f.find(testing::as_view(tight), scene_settings(Scene::Photo)).size(), 1u);
  EXPECT_EQ(f.find(testing::as_view(tight), scene_settings(Scene::Chip)).size(), 1u);
}

TEST(Presets, NameTheThreeScenes) {
  EXPECT_EQ(parse_scene("webcam"), Scene::Webcam);
  EXPECT_STREQ(to_string(parse_scene("chip")), "chip");
  EXPECT_THROW(parse_scene("selfie"), InputError);
  EXPECT_FALSE(scene_settings(Scene::Webcam).full_range);
  EXPECT_EQ(scene_settings(Scene::Chip).max_faces, 1);
  EXPECT_GT(scene_settings(Scene::Photo).retry_pad_fraction, 0.0);
}

// Found by tests/fuzz (pixels): the region check added x + width in int, so
// a region near INT_MAX wrapped round and passed; its pixels were then read
// far outside the image.
TEST(Letterbox, RejectsRegionsWhoseFarEdgeOverflows) {
  const Image img(4, 2, PixelFormat::RGB8);
  const int big = std::numeric_limits<int>::max();
  EXPECT_THROW(letterbox_input(img.view(), {2, 0, big, 2}, 8), InputError);
  EXPECT_THROW(letterbox_input(img.view(), {0, 1, 4, big}, 8), InputError);
}

// A .fgnet from a header and its float constants.
std::vector<std::uint8_t> fgnet(std::string header, const std::vector<float>& constants) {
  while ((12 + header.size()) % 4 != 0) header.push_back(' ');
  std::vector<std::uint8_t> bytes{'F', 'G', 'N', 'E', 'T', '1', 0, 0};
  const auto size = static_cast<std::uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(size >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* raw = reinterpret_cast<const std::uint8_t*>(constants.data());
  bytes.insert(bytes.end(), raw, raw + constants.size() * sizeof(float));
  return bytes;
}

// Found by tests/fuzz (network): a list in the header shorter than its
// operator needs ("stride": [1]) escaped as std::out_of_range, not InputError.
TEST(Network, RejectsShortListsInTheHeaderAsInputError) {
  const std::string header =
      R"({"format":1,"tensors":[{"shape":[1,4,4,1],"constant":-1},{"shape":[1,1,1,1],"constant":0},)"
      R"({"shape":[1],"constant":1},{"shape":[1,4,4,1],"constant":-1}],"inputs":[0],"outputs":[3],)"
      R"("ops":[{"op":"conv2d","in":[0,1,2],"out":[3],"padding":"same","stride":[1]}]})";
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(header, {1.0f, 0.0f}), "short.fgnet"),
               InputError);
  const std::string no_bias =
      R"({"format":1,"tensors":[{"shape":[1,4,4,1],"constant":-1},{"shape":[1,1,1,1],"constant":0},)"
      R"({"shape":[1,4,4,1],"constant":-1}],"inputs":[0],"outputs":[2],)"
      R"("ops":[{"op":"conv2d","in":[0,1],"out":[2],"padding":"same","stride":[1,1]}]})";
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(no_bias, {1.0f}), "no-bias.fgnet"), InputError);
}

// Found by tests/fuzz (network): a stride of 0 divided by zero before it was
// checked; a kernel x dilation near INT_MAX overflowed int.
TEST(Network, RejectsWindowsWithoutAStepOrBeyondInt) {
  auto pool = [](const std::string& window) {
    return R"({"format":1,"tensors":[{"shape":[1,4,4,1],"constant":-1},)"
           R"({"shape":[1,4,4,1],"constant":-1}],"inputs":[0],"outputs":[1],)"
           R"("ops":[{"op":"max_pool2d","in":[0],"out":[1],"padding":"same",)" +
           window + "}]}";
  };
  EXPECT_NO_THROW(InferenceNetwork::from_bytes(fgnet(pool(R"("stride":[1,1],"filter":[2,2])"), {}),
                                               "pool.fgnet"));
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(pool(R"("stride":[0,1],"filter":[2,2])"), {}),
                                            "stride0.fgnet"),
               InputError);
  EXPECT_THROW(InferenceNetwork::from_bytes(
                   fgnet(pool(R"("stride":[1,1],"filter":[2,2],"dilation":[2147483647,1])"), {}),
                   "dilated.fgnet"),
               InputError);
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(pool(R"("stride":[1,1],"filter":[0,2])"), {}),
                                            "filter0.fgnet"),
               InputError);
}

// Found by tests/fuzz (network, cascade): the header's numbers went through
// nlohmann-json's get<int>(), a static_cast, so a float there (1e10) was
// undefined behaviour and 1.5 became 1. The header holds only integers.
TEST(Network, RejectsFloatsInTheHeader) {
  auto pool = [](const std::string& stride) {
    return R"({"format":1,"tensors":[{"shape":[1,4,4,1],"constant":-1},)"
           R"({"shape":[1,4,4,1],"constant":-1}],"inputs":[0],"outputs":[1],)"
           R"("ops":[{"op":"max_pool2d","in":[0],"out":[1],"padding":"same","filter":[2,2],"stride":)" +
           stride + "}]}";
  };
  EXPECT_NO_THROW(InferenceNetwork::from_bytes(fgnet(pool("[1,1]"), {}), "ints.fgnet"));
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(pool("[1.5,1]"), {}), "half.fgnet"), InputError);
  EXPECT_THROW(InferenceNetwork::from_bytes(fgnet(pool("[1e10,1]"), {}), "huge.fgnet"), InputError);
}

// Found by tests/fuzz (network) in CI: a "format" that was not a number
// ([1]) escaped as nlohmann-json's type_error and ended the process.
TEST(Network, RejectsAFormatVersionThatIsNotOneOrTwo) {
  auto with_format = [](const std::string& format) {
    return R"({"format":)" + format +
           R"(,"tensors":[{"shape":[1,4,4,1],"constant":-1},)"
           R"({"shape":[1,4,4,1],"constant":-1}],"inputs":[0],"outputs":[1],)"
           R"("ops":[{"op":"max_pool2d","in":[0],"out":[1],"padding":"same","filter":[2,2],"stride":[1,1]}]})";
  };
  EXPECT_NO_THROW(InferenceNetwork::from_bytes(fgnet(with_format("1"), {}), "v1.fgnet"));
  for (const std::string format : {"[1]", "\"2\"", "3", "0", "null"}) {
    try {
      InferenceNetwork::from_bytes(fgnet(with_format(format), {}), "bad-format.fgnet");
      ADD_FAILURE() << "format " << format << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("bad-format.fgnet"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("format version"), std::string::npos) << e.what();
    }
  }
}

// Found by tests/fuzz (network): a network whose scores are NaN (NaN
// constants) gave 896 NaN faces, and exp(NaN) converted NaN to int.
TEST(BlazeFace, ANetworkThatGivesNanScoresFindsNothing) {
  // BlazeFace short range's shapes from four 1x1 convolutions: boxes from
  // 16x16x32 and 8x8x96 cells, scores from 16x16x2 and 8x8x6 (all NaN).
  std::string tensors = R"({"shape":[1,128,128,3],"constant":-1})";
  std::vector<float> constants;
  std::string ops;
  int next = 1;
  auto conv = [&](int out_channels, int stride, int cells, float bias) {
    const int w = next++, b = next++, out = next++;
    tensors += R"(,{"shape":[)" + std::to_string(out_channels) + R"(,1,1,3],"constant":)" +
               std::to_string(constants.size()) + "}";
    constants.insert(constants.end(), static_cast<std::size_t>(out_channels) * 3, 0.0f);
    tensors += R"(,{"shape":[)" + std::to_string(out_channels) + R"(],"constant":)" +
               std::to_string(constants.size()) + "}";
    constants.insert(constants.end(), static_cast<std::size_t>(out_channels), bias);
    tensors += R"(,{"shape":[1,)" + std::to_string(cells) + "," + std::to_string(cells) + "," +
               std::to_string(out_channels) + R"(],"constant":-1})";
    ops += std::string(ops.empty() ? "" : ",") + R"({"op":"conv2d","in":[0,)" + std::to_string(w) +
           "," + std::to_string(b) + R"(],"out":[)" + std::to_string(out) +
           R"(],"padding":"valid","stride":[)" + std::to_string(stride) + "," +
           std::to_string(stride) + "]}";
    return out;
  };
  auto reshape = [&](int in, int anchors, int values) {
    const int out = next++;
    tensors += R"(,{"shape":[1,)" + std::to_string(anchors) + "," + std::to_string(values) +
               R"(],"constant":-1})";
    ops += R"(,{"op":"reshape","in":[)" + std::to_string(in) + R"(],"out":[)" +
           std::to_string(out) + "]}";
    return out;
  };
  auto concat = [&](int a, int b, int values) {
    const int out = next++;
    tensors += R"(,{"shape":[1,896,)" + std::to_string(values) + R"(],"constant":-1})";
    ops += R"(,{"op":"concat","axis":1,"in":[)" + std::to_string(a) + "," + std::to_string(b) +
           R"(],"out":[)" + std::to_string(out) + "]}";
    return out;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int boxes =
      concat(reshape(conv(32, 8, 16, 0.0f), 512, 16), reshape(conv(96, 16, 8, 0.0f), 384, 16), 16);
  const int scores =
      concat(reshape(conv(2, 8, 16, nan), 512, 1), reshape(conv(6, 16, 8, nan), 384, 1), 1);
  const std::string header = R"({"format":1,"tensors":[)" + tensors +
                             R"(],"inputs":[0],"outputs":[)" + std::to_string(boxes) + "," +
                             std::to_string(scores) + R"(],"ops":[)" + ops + "]}";
  const BlazeFace detector(InferenceNetwork::from_bytes(fgnet(header, constants), "nan.fgnet"),
                           BlazeFaceModel::ShortRange);
  const Image image(64, 48, PixelFormat::RGB8);
  EXPECT_TRUE(detector.detect(image.view(), BlazeFaceParams{}).empty());
}

}  // namespace
}  // namespace facegender
