#include "facegender/detect.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "test_support.hpp"

namespace facegender {
namespace {

// A one-stage, one-stump cascade on an 8x8 window that fires where the right
// half is much brighter than the left: a vertical dark-to-bright edge.
std::string edge_cascade(const std::string& extra_feature_fields = "", int right_child = -1) {
  return R"({"format":"facegender-haar-cascade/1","window":[8,8],
    "stages":[{"threshold":0.0,"trees":[{"nodes":[[0,)" +
         std::to_string(right_child) + R"(,0,0.9]],"leaves":[-1.0,1.0]}]}],
    "features":[{"rects":[[0,0,8,8,-1.0],[4,0,4,8,2.0]])" +
         extra_feature_fields + "}]}";
}

// Noise around `left` on the left of column `edge_x`, around `right` after it.
Image edge_image(int width, int height, int edge_x, int left, int right, unsigned seed,
                 int noise_level = 15) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-noise_level, noise_level);
  Image image(width, height, PixelFormat::Gray8);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x)
      image.row(y)[x] = static_cast<std::uint8_t>((x < edge_x ? left : right) + noise(rng));
  }
  return image;
}

TEST(Cascade, FindsTheEdgeItWasBuiltFor) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  EXPECT_EQ(cascade.window_width(), 8);
  EXPECT_EQ(cascade.stage_count(), 1);
  const Image image = edge_image(120, 90, 60, 30, 220, 1);
  const std::vector<Box> boxes = cascade.detect(image.view(), DetectParams{});
  ASSERT_FALSE(boxes.empty());
  for (const Box& b : boxes) {
    EXPECT_LT(b.x, 60);
    EXPECT_GT(b.x + b.width, 60);
  }
}

TEST(Cascade, IgnoresTheMirroredEdgeAndFlatImages) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  const Image mirrored = edge_image(120, 90, 60, 220, 30, 2);
  EXPECT_TRUE(cascade.detect(mirrored.view(), DetectParams{}).empty());
  const std::vector<std::uint8_t> flat(50 * 50, 128);
  EXPECT_TRUE(cascade.detect_candidates(ImageView(flat, 50, 50, PixelFormat::Gray8), DetectParams{})
                  .empty());
}

TEST(Cascade, MinAndMaxSizeBoundTheWindows) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  const Image image = edge_image(120, 90, 60, 30, 220, 3);
  DetectParams params;
  params.min_size = 20;
  params.max_size = 40;
  const std::vector<Box> candidates = cascade.detect_candidates(image.view(), params);
  ASSERT_FALSE(candidates.empty());
  for (const Box& b : candidates) {
    EXPECT_GE(b.width, 20);
    EXPECT_LE(b.width, 40);
  }
}

TEST(Cascade, RejectsMalformedCascadesNamingTheSource) {
  auto message_of = [](const std::string& json) {
    try {
      Cascade::from_json(json, "my.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message_of("{not json").find("my.json"), std::string::npos);
  EXPECT_NE(message_of(edge_cascade(R"(,"tilted":1)")).find("tilted"), std::string::npos);
  EXPECT_NE(message_of(edge_cascade("", 5)).find("child index"), std::string::npos);
  EXPECT_NE(message_of(R"({"format":"other"})").find("format"), std::string::npos);
  EXPECT_THROW(Cascade::from_file("/nonexistent/cascade.json"), InputError);
}

TEST(Cascade, RejectsBadImagesAndParameters) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  std::vector<std::uint8_t> rgb(20 * 20 * 3);
  EXPECT_THROW(cascade.detect(ImageView(rgb, 20, 20, PixelFormat::RGB8), {}), InputError);
  std::vector<std::uint8_t> gray(400);
  DetectParams bad;
  bad.scale_factor = 1.0;
  EXPECT_THROW(cascade.detect(ImageView(gray, 20, 20, PixelFormat::Gray8), bad), InputError);
  // Smaller than the window: nothing to find, not an error.
  EXPECT_TRUE(cascade.detect(ImageView(gray, 5, 5, PixelFormat::Gray8), {}).empty());
}

TEST(GroupRectangles, MergesClustersAndDropsWeakOnes) {
  const std::vector<Box> boxes = {
      {10, 10, 20, 20}, {11, 10, 20, 20}, {10, 11, 20, 20}, {12, 12, 21, 21}, {100, 100, 20, 20}};
  const std::vector<Box> grouped = group_rectangles(boxes, 3);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped[0], (Box{11, 11, 20, 20}));  // means 10.75, 10.75, 20.25, 20.25 rounded
  EXPECT_TRUE(group_rectangles(boxes, 4).empty());
  EXPECT_EQ(group_rectangles(boxes, 0).size(), boxes.size());
}

TEST(GroupRectangles, DropsASmallClusterInsideAStrongerOne) {
  std::vector<Box> boxes;
  for (int i = 0; i < 6; ++i) boxes.push_back({0 + i % 2, 0, 100, 100});
  for (int i = 0; i < 2; ++i) boxes.push_back({40, 40, 20, 20});
  const std::vector<Box> grouped = group_rectangles(boxes, 1);
  ASSERT_EQ(grouped.size(), 1u);
  EXPECT_EQ(grouped[0].width, 100);
}

TEST(FindFaces, MapsBoxesBackFromShrunkAndPaddedSearches) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  // Noise-free: replicated noise in the padding would make (legitimate) edges
  // of its own for this toy cascade.
  const Image image = edge_image(400, 300, 200, 30, 220, 4, 0);
  for (const FaceSearch search :
       {FaceSearch{{}, 0.0, 100}, FaceSearch{{}, 0.25, 0}, FaceSearch{{}, 0.25, 150}}) {
    const std::vector<Box> boxes = find_faces(cascade, image.view(), search);
    ASSERT_FALSE(boxes.empty()) << search.pad_fraction << " " << search.max_side;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      const Box& b = boxes[i];
      EXPECT_LT(b.x, 200 + 4);
      EXPECT_GT(b.x + b.width, 200 - 4);
      EXPECT_GE(b.x, 0);
      EXPECT_GE(b.y, 0);
      EXPECT_LE(b.x + b.width, 400);
      EXPECT_LE(b.y + b.height, 300);
      if (i > 0) {
        EXPECT_GE(boxes[i - 1].area(), b.area());  // largest first
      }
    }
  }
  EXPECT_THROW(find_faces(cascade, image.view(), FaceSearch{{}, -0.1, 0}), InputError);
}

// Found by tests/fuzz (cascade): a rect's x + width and a leaf's -index
// overflowed int, so a rect at x = INT_MAX or a child INT_MIN passed the
// checks and detection then read far outside the integral image.
TEST(Cascade, RejectsIndicesThatOverflow) {
  const std::string rect = R"({"format":"facegender-haar-cascade/1","window":[8,8],
    "stages":[{"threshold":0.0,"trees":[{"nodes":[[0,-1,0,0.9]],"leaves":[-1.0,1.0]}]}],
    "features":[{"rects":[[2147483647,0,1,8,-1.0]]}]})";
  EXPECT_THROW(Cascade::from_json(rect, "rect"), InputError);
  const std::string tall = R"({"format":"facegender-haar-cascade/1","window":[8,8],
    "stages":[{"threshold":0.0,"trees":[{"nodes":[[0,-1,0,0.9]],"leaves":[-1.0,1.0]}]}],
    "features":[{"rects":[[0,2,8,2147483647,-1.0]]}]})";
  EXPECT_THROW(Cascade::from_json(tall, "tall"), InputError);
  EXPECT_THROW(Cascade::from_json(edge_cascade("", std::numeric_limits<int>::min()), "child"),
               InputError);
}

// Found by tests/fuzz (pixels): the eye band's height * 3 overflowed int for
// tall boxes (undefined behaviour; the asan preset's UBSan reports it).
TEST(EstimateRoll, TakesBoxesOfAnyHeight) {
  const Cascade cascade = Cascade::from_json(edge_cascade(), "edge");
  const Image image = edge_image(60, 40, 30, 30, 220, 4);
  EXPECT_NO_THROW(
      estimate_roll(cascade, image.view(), {0, 0, 60, std::numeric_limits<int>::max()}));
}

// Found by tests/fuzz (cascade): numbers went through nlohmann-json's
// get<int>(), a static_cast: a window of 1e10 was undefined behaviour and a
// rect at x 1.5 became x 1.
TEST(Cascade, IntegersMustBeIntegersThatFit) {
  auto cascade = [](const std::string& window, const std::string& rect) {
    return R"({"format":"facegender-haar-cascade/1","window":)" + window +
           R"(,"stages":[{"threshold":0.0,"trees":[{"nodes":[[0,-1,0,0.9]],"leaves":[-1.0,1.0]}]}],)"
           R"("features":[{"rects":[)" +
           rect + "]}]}";
  };
  EXPECT_NO_THROW(Cascade::from_json(cascade("[8,8]", "[0,0,8,8,-1.0]"), "ints"));
  EXPECT_NO_THROW(Cascade::from_json(cascade("[8.0,8]", "[0,0,8,8,-1.0]"), "whole floats"));
  EXPECT_THROW(Cascade::from_json(cascade("[1e10,8]", "[0,0,8,8,-1.0]"), "huge"), InputError);
  EXPECT_THROW(Cascade::from_json(cascade("[8,8]", "[1.5,0,4,8,-1.0]"), "fraction"), InputError);
  EXPECT_THROW(Cascade::from_json(edge_cascade(R"(,"tilted":1e10)"), "tilted"), InputError);
}

}  // namespace
}  // namespace facegender
