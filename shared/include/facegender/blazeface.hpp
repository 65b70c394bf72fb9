// Face detection with MediaPipe's BlazeFace networks (short range, 128x128,
// and full range, 192x192), run by the core's own interpreter
// (facegender/network.hpp). Each face comes with a box, six keypoints and a
// score. Pre- and post-processing are those of MediaPipe's face-detection
// graph: letterboxed input in [-1, 1], SSD anchors, score clipping at 100,
// sigmoid, weighted non-maximum suppression (IoU 0.3).
#pragma once

#include <array>
#include <vector>

#include "facegender/image.hpp"
#include "facegender/network.hpp"

namespace facegender {

struct Point {
  float x = 0;
  float y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

// MediaPipe's keypoint order. "Right" is the person's right: on the left of
// an unmirrored photo.
enum Keypoint { kRightEye = 0, kLeftEye, kNoseTip, kMouth, kRightEar, kLeftEar };

struct FaceDetection {
  float x = 0, y = 0, width = 0, height = 0;  // the box, in the image's pixels
  std::array<Point, 6> keypoints{};           // in the image's pixels
  float score = 0;                            // in (0, 1)
  friend bool operator==(const FaceDetection&, const FaceDetection&) = default;
};

// The area two detections' boxes share (0 when they are apart).
float intersection_area(const FaceDetection& a, const FaceDetection& b);
// Their intersection over union (0 when apart or both empty).
float iou(const FaceDetection& a, const FaceDetection& b);

enum class BlazeFaceModel { ShortRange, FullRange };

struct BlazeFaceParams {
  float min_score = 0.5f;      // MediaPipe: 0.5 (short range), 0.6 (full range)
  float nms_threshold = 0.3f;  // IoU above which detections are merged
};

class BlazeFace {
 public:
  // Throws InputError when `network`'s input or outputs do not have the
  // shapes of `model` (a short-range file given as full range, say).
  BlazeFace(InferenceNetwork network, BlazeFaceModel model);

  BlazeFaceModel model() const { return model_; }
  int input_size() const { return input_size_; }
  // Multiply-adds of one network run, for benchmarks.
  std::int64_t multiply_adds() const { return network_.multiply_adds(); }

  // Faces in `region` of `image` (any pixel format), best score first, in the
  // image's pixel coordinates. The region is letterboxed (scaled to fit, the
  // rest black) into the network's square input. Throws InputError for an
  // empty region or one outside the image, or bad parameters.
  std::vector<FaceDetection> detect(const ImageView& image, const Box& region,
                                    const BlazeFaceParams& params) const;
  std::vector<FaceDetection> detect(const ImageView& image, const BlazeFaceParams& params) const;

 private:
  InferenceNetwork network_;
  BlazeFaceModel model_;
  int input_size_;
  std::vector<Point> anchors_;  // centres in [0, 1]; anchors have unit size
};

// The letterboxed network input: `region` of `image` scaled to fit a
// size x size square (area or bilinear resampling per channel, as
// facegender::resize), centred, the rest black, as RGB floats in [-1, 1].
// Exposed for the parity tests. Throws InputError like BlazeFace::detect.
std::vector<float> letterbox_input(const ImageView& image, const Box& region, int size);

// MediaPipe's SSD anchor centres for a model (896 or 2304 of them).
std::vector<Point> blazeface_anchors(BlazeFaceModel model);

// Weighted non-maximum suppression over detections sorted best first: each
// kept detection is the score-weighted mean of those overlapping it by more
// than `threshold` IoU, with the best one's score.
std::vector<FaceDetection> weighted_nms(const std::vector<FaceDetection>& sorted, float threshold);

}  // namespace facegender
