// Where `classify --annotate` puts the labels: numbered in the faces' order,
// always inside the picture (boxes at each edge), off each other for faces
// side by side, only the number when the label cannot fit; and the drawing
// itself: every label whole, on its own background, inside the picture.
#include "classify/label_layout.hpp"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "classify/classify.hpp"

namespace facegender {
namespace {

using classify::FaceLabel;
using classify::LabelCanvas;
using classify::place_labels;
using classify::PlacedLabel;

constexpr int kLabelHeight = 12;

// 6 pixels a character plus 2 of padding each side: "1 female 97.30%" is 94
// wide, "1" is 10.
LabelCanvas canvas(int width, int height) {
  LabelCanvas c;
  c.width = width;
  c.height = height;
  c.label_height = kLabelHeight;
  c.measure = [](std::string_view text) { return static_cast<int>(text.size()) * 6 + 4; };
  return c;
}

void expect_inside(const Box& rect, const LabelCanvas& c) {
  EXPECT_GE(rect.x, 0);
  EXPECT_GE(rect.y, 0);
  EXPECT_LE(rect.x + rect.width, c.width);
  EXPECT_LE(rect.y + rect.height, c.height);
}

void expect_no_two_overlap(const std::vector<PlacedLabel>& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) {
      EXPECT_FALSE(classify::overlap(labels[i].rect, labels[j].rect))
          << labels[i].text << " and " << labels[j].text;
    }
  }
}

TEST(LabelLayout, NumbersFollowTheFacesOrder) {
  const std::vector<PlacedLabel> labels = place_labels({{{20, 40, 50, 50}, "female 97.30%"},
                                                        {{150, 40, 50, 50}, "male 88.00%"},
                                                        {{280, 40, 50, 50}, "female 51.20%"}},
                                                       canvas(400, 200));
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].text, "1 female 97.30%");
  EXPECT_EQ(labels[1].text, "2 male 88.00%");
  EXPECT_EQ(labels[2].text, "3 female 51.20%");
  EXPECT_TRUE(place_labels({}, canvas(400, 200)).empty());
}

TEST(LabelLayout, GoesAboveTheBoxWhenThereIsRoom) {
  const std::vector<PlacedLabel> labels =
      place_labels({{{100, 50, 60, 60}, "female 97.30%"}}, canvas(400, 200));
  EXPECT_EQ(labels[0].rect, (Box{100, 50 - kLabelHeight, 94, kLabelHeight}));
  EXPECT_FALSE(labels[0].number_only);
  EXPECT_FALSE(labels[0].overlaps);
}

TEST(LabelLayout, StaysInsideThePictureForBoxesAtEachEdge) {
  const LabelCanvas c = canvas(300, 200);
  const std::vector<Box> boxes = {
      {250, 80, 50, 50},   // right edge: slides left
      {0, 80, 40, 40},     // left edge
      {120, 0, 50, 50},    // top edge: no room above, so inside the top
      {100, 150, 50, 50},  // bottom edge
      {260, 0, 40, 200},   // top right corner, as tall as the picture
  };
  for (const Box& box : boxes) {
    const std::vector<PlacedLabel> labels = place_labels({{box, "female 97.30%"}}, c);
    ASSERT_EQ(labels.size(), 1u);
    SCOPED_TRACE(::testing::Message() << "box at " << box.x << "," << box.y);
    expect_inside(labels[0].rect, c);
    EXPECT_EQ(labels[0].text, "1 female 97.30%");
  }
  EXPECT_EQ(place_labels({{boxes[0], "female 97.30%"}}, c)[0].rect.x, 300 - 94);
  EXPECT_EQ(place_labels({{boxes[2], "female 97.30%"}}, c)[0].rect.y, 0);
}

TEST(LabelLayout, SideBySideFacesGetLabelsThatDoNotOverlap) {
  // Labels far wider than the faces: the second cannot go above its box too.
  const LabelCanvas c = canvas(200, 150);
  const std::vector<PlacedLabel> labels = place_labels({{{40, 50, 30, 30}, "female 97.30%"},
                                                        {{72, 50, 30, 30}, "male 88.00%"},
                                                        {{104, 50, 30, 30}, "female 60.00%"}},
                                                       c);
  ASSERT_EQ(labels.size(), 3u);
  expect_no_two_overlap(labels);
  for (const PlacedLabel& label : labels) {
    expect_inside(label.rect, c);
    EXPECT_FALSE(label.number_only) << label.text;
  }
  // First choices in order: above, inside the top, below.
  EXPECT_EQ(labels[0].rect.y, 50 - kLabelHeight);
  EXPECT_EQ(labels[1].rect.y, 50);
  EXPECT_EQ(labels[2].rect.y, 80);
}

TEST(LabelLayout, OnlyTheNumberWhenTheLabelIsWiderThanThePicture) {
  const LabelCanvas c = canvas(60, 60);
  const std::vector<PlacedLabel> labels = place_labels({{{10, 20, 30, 30}, "female 97.30%"}}, c);
  EXPECT_EQ(labels[0].text, "1");
  EXPECT_TRUE(labels[0].number_only);
  EXPECT_FALSE(labels[0].overlaps);
  expect_inside(labels[0].rect, c);
}

TEST(LabelLayout, CrowdedFacesFallBackToNumbersThenToTheFirstPlace) {
  // A strip one label tall: the first label takes most of it, the second
  // face has room for its number only, the third for nothing.
  const LabelCanvas c = canvas(120, kLabelHeight);
  const Box left{0, 0, 20, kLabelHeight};
  const Box right{100, 0, 20, kLabelHeight};
  const std::vector<PlacedLabel> labels =
      place_labels({{left, "female 97.30%"}, {right, "male 88.00%"}, {right, "male 70.00%"}}, c);
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].text, "1 female 97.30%");
  EXPECT_FALSE(labels[0].number_only);
  EXPECT_EQ(labels[1].text, "2");
  EXPECT_TRUE(labels[1].number_only);
  EXPECT_FALSE(labels[1].overlaps);
  EXPECT_EQ(labels[1].rect, (Box{100, 0, 10, kLabelHeight}));
  EXPECT_EQ(labels[2].text, "3");
  EXPECT_TRUE(labels[2].overlaps);
  EXPECT_EQ(labels[2].rect, labels[1].rect);  // the first place: above, slid inside
  for (const PlacedLabel& label : labels) expect_inside(label.rect, c);
}

TEST(LabelLayout, APictureShorterThanALabelStillGetsOne) {
  const std::vector<PlacedLabel> labels =
      place_labels({{{0, 0, 8, 8}, "female 97.30%"}}, canvas(40, 8));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].text, "1");
  EXPECT_EQ(labels[0].rect.x, 0);
  EXPECT_EQ(labels[0].rect.y, 0);
}

// The drawing: faces at the picture's edges, side by side, on black.
classify::FaceResult face_at(Box box, int class_index, const std::string& label) {
  classify::FaceResult face;
  face.box = box;
  face.prediction.class_index = class_index;
  face.prediction.class_name = class_index == 0 ? "female" : "male";
  face.prediction.label = label;
  return face;
}

bool is_white(const cv::Vec3b& pixel) {
  return pixel[0] > 230 && pixel[1] > 230 && pixel[2] > 230;
}

TEST(Annotate, EveryLabelIsDrawnWholeInsideThePicture) {
  const cv::Mat black(240, 320, CV_8UC3, cv::Scalar(0, 0, 0));
  const std::vector<classify::FaceResult> faces = {
      face_at({270, 100, 50, 50}, 0, "female 97.30%"),  // right edge
      face_at({0, 0, 60, 60}, 1, "male 88.00%"),        // top left corner
      face_at({130, 190, 50, 50}, 0, "female 51.20%"),  // bottom edge
      face_at({182, 190, 50, 50}, 1, "male 64.00%"),    // beside it
  };
  const cv::Mat drawn = classify::annotate(black, faces);
  const std::vector<PlacedLabel> labels = classify::annotation_labels(black, faces);
  ASSERT_EQ(labels.size(), faces.size());
  const LabelCanvas c{black.cols, black.rows, 0, {}};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const PlacedLabel& label = labels[i];
    SCOPED_TRACE(label.text);
    EXPECT_EQ(label.text, std::to_string(i + 1) + " " + faces[i].prediction.label);
    expect_inside(label.rect, c);
    const cv::Mat area =
        drawn(cv::Rect(label.rect.x, label.rect.y, label.rect.width, label.rect.height));
    // The text is on its background and clear of its edges, so none of it
    // was lost past the background (or the picture).
    const cv::Vec3b background = area.at<cv::Vec3b>(0, 0);
    EXPECT_FALSE(is_white(background));
    EXPECT_NE(background, cv::Vec3b(0, 0, 0));
    int white = 0;
    for (int y = 0; y < area.rows; ++y) {
      for (int x = 0; x < area.cols; ++x) {
        const bool edge = x == 0 || y == 0 || x == area.cols - 1 || y == area.rows - 1;
        if (edge) {
          EXPECT_EQ(area.at<cv::Vec3b>(y, x), background) << x << "," << y;
        }
        white += is_white(area.at<cv::Vec3b>(y, x)) ? 1 : 0;
      }
    }
    EXPECT_GT(white, 10);
  }
  expect_no_two_overlap(labels);
  // White appears nowhere but in the labels.
  cv::Mat outside = drawn.clone();
  for (const PlacedLabel& label : labels) {
    outside(cv::Rect(label.rect.x, label.rect.y, label.rect.width, label.rect.height))
        .setTo(cv::Scalar(0, 0, 0));
  }
  for (int y = 0; y < outside.rows; ++y) {
    for (int x = 0; x < outside.cols; ++x) ASSERT_FALSE(is_white(outside.at<cv::Vec3b>(y, x)));
  }
}

}  // namespace
}  // namespace facegender
