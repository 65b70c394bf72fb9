// The core's Haar detector against cv::CascadeClassifier::detectMultiScale
// with the same cascade and parameters, on real photos. Prints the figures the
// foundation issue asks for: the share of OpenCV's boxes matched with IoU >= 0.9
// and the share of extra boxes.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "facegender/detect.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

struct Tally {
  int reference = 0;  // OpenCV's boxes
  int matched = 0;    // ... with one of ours at IoU >= 0.9
  int ours = 0;
  int extra = 0;  // ours without an OpenCV box at IoU >= 0.9
  int identical_images = 0;
  int images = 0;
};

bool has_match(const Box& box, const std::vector<Box>& others) {
  for (const Box& o : others) {
    if (iou(box, o) >= 0.9) return true;
  }
  return false;
}

void tally(const std::vector<Box>& ours, const std::vector<cv::Rect>& theirs, Tally& t) {
  std::vector<Box> reference;
  for (const cv::Rect& r : theirs) reference.push_back({r.x, r.y, r.width, r.height});
  t.reference += static_cast<int>(reference.size());
  t.ours += static_cast<int>(ours.size());
  for (const Box& r : reference) t.matched += has_match(r, ours);
  for (const Box& o : ours) t.extra += !has_match(o, reference);
  auto sorted = [](std::vector<Box> v) {
    std::sort(v.begin(), v.end(), [](const Box& a, const Box& b) {
      return std::tie(a.x, a.y, a.width, a.height) < std::tie(b.x, b.y, b.width, b.height);
    });
    return v;
  };
  t.identical_images += sorted(ours) == sorted(reference);
  ++t.images;
}

void check(const std::string& what, const Tally& t) {
  const double matched = t.reference ? 100.0 * t.matched / t.reference : 100.0;
  const double extra = t.ours ? 100.0 * t.extra / t.ours : 0.0;
  std::cout << "[ figures  ] " << what << ": " << t.images << " images, OpenCV " << t.reference
            << " boxes, ours " << t.ours << "; matched (IoU>=0.9) " << t.matched << " = " << matched
            << "%, extra " << t.extra << " = " << extra << "%, identical box sets on "
            << t.identical_images << "/" << t.images << " images\n";
  EXPECT_GT(t.reference, 0) << what << ": OpenCV found nothing; the comparison would be empty";
  EXPECT_GE(matched, 95.0) << what;
  EXPECT_LE(extra, 5.0) << what;
}

class DetectParity : public ::testing::TestWithParam<std::string> {};

TEST_P(DetectParity, SameFacesAsOpenCV) {
  const std::string name = GetParam();
  const Cascade ours = Cascade::from_file(testing::cascade_json(name));
  cv::CascadeClassifier theirs(testing::cascade_xml(name));
  ASSERT_FALSE(theirs.empty()) << testing::cascade_xml(name);
  cv::setNumThreads(1);

  Tally grouped, candidates;
  for (const std::string& path : testing::face_photos()) {
    const cv::Mat gray = cv::imread(path, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(gray.empty()) << path;
    DetectParams params;
    params.scale_factor = 1.1;
    params.min_neighbors = 3;
    params.min_size = 24;
    std::vector<cv::Rect> reference;
    theirs.detectMultiScale(gray, reference, params.scale_factor, params.min_neighbors, 0,
                            cv::Size(params.min_size, params.min_size));
    tally(ours.detect(testing::as_view(gray), params), reference, grouped);

    // Before grouping too, where any difference in a single window would show.
    params.min_neighbors = 0;
    theirs.detectMultiScale(gray, reference, params.scale_factor, 0, 0,
                            cv::Size(params.min_size, params.min_size));
    tally(ours.detect(testing::as_view(gray), params), reference, candidates);
  }
  check(name + " grouped (minNeighbors 3)", grouped);
  check(name + " raw windows (minNeighbors 0)", candidates);
}

INSTANTIATE_TEST_SUITE_P(Cascades, DetectParity,
                         ::testing::Values("haarcascade_frontalface_default",
                                           "haarcascade_frontalface_alt2", "haarcascade_eye"));

}  // namespace
}  // namespace facegender
