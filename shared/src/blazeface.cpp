#include "facegender/blazeface.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "facegender/preprocess.hpp"
#include "portable_math.hpp"

namespace facegender {
namespace {

// MediaPipe's face_detection_{short,full}_range.pbtxt (FaceDetectionOptions)
// and face_detection.pbtxt (SsdAnchorsCalculator, TensorsToDetections).
struct ModelSpec {
  int input_size;
  int anchor_count;
  std::vector<int> strides;
  float interpolated_scale_aspect_ratio;
};

ModelSpec spec_of(BlazeFaceModel model) {
  if (model == BlazeFaceModel::ShortRange) return {128, 896, {8, 16, 16, 16}, 1.0f};
  return {192, 2304, {4}, 0.0f};
}

constexpr int kCoords = 16;               // box (4) + 6 keypoints x 2
constexpr float kScoreClipping = 100.0f;  // score_clipping_thresh

// One colour plane of `region` (RGB order; a Gray8 image gives its one plane).
Image plane(const ImageView& image, const Box& region, int channel) {
  Image out(region.width, region.height, PixelFormat::Gray8);
  const int ch = image.channels();
  int c = channel;
  if (image.format() == PixelFormat::Gray8) c = 0;
  if (image.format() == PixelFormat::BGR8) c = 2 - channel;
  for (int y = 0; y < region.height; ++y) {
    const std::uint8_t* in = image.row(region.y + y) + static_cast<std::size_t>(region.x) * ch + c;
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < region.width; ++x) o[x] = in[static_cast<std::size_t>(x) * ch];
  }
  return out;
}

struct Letterbox {
  int width, height;  // of the scaled region inside the square
  int left, top;      // where it sits
};

Letterbox letterbox_of(const Box& region, int size) {
  const int longer = std::max(region.width, region.height);
  auto scaled = [&](int side) {
    return std::max(
        1, static_cast<int>((static_cast<std::int64_t>(side) * size + longer / 2) / longer));
  };
  const int w = scaled(region.width), h = scaled(region.height);
  return {w, h, (size - w) / 2, (size - h) / 2};
}

void check_region(const ImageView& image, const Box& region, const char* function) {
  if (!inside(region, image.width(), image.height())) {
    throw InputError(std::string(function) + ": region " + std::to_string(region.width) + "x" +
                     std::to_string(region.height) + " at (" + std::to_string(region.x) + ", " +
                     std::to_string(region.y) + ") is empty or outside the " +
                     std::to_string(image.width()) + "x" + std::to_string(image.height()) +
                     " image");
  }
}

float sigmoid(float logit) {
  return static_cast<float>(1.0 / (1.0 + detail::portable_exp(-static_cast<double>(logit))));
}

}  // namespace

float intersection_area(const FaceDetection& a, const FaceDetection& b) {
  const float w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  const float h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0.0f;
}

float iou(const FaceDetection& a, const FaceDetection& b) {
  const float inter = intersection_area(a, b);
  if (inter == 0.0f) return 0.0f;
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

std::vector<Point> blazeface_anchors(BlazeFaceModel model) {
  const ModelSpec spec = spec_of(model);
  std::vector<Point> anchors;
  const int layers = static_cast<int>(spec.strides.size());
  for (int layer = 0; layer < layers;) {
    // Layers with the same stride share one feature map: their anchors
    // (one per aspect ratio, plus one interpolated) sit in the same cells.
    int per_cell = 0;
    int last = layer;
    for (; last < layers && spec.strides[last] == spec.strides[layer]; ++last) {
      per_cell += 1 + (spec.interpolated_scale_aspect_ratio > 0.0f ? 1 : 0);
    }
    const int stride = spec.strides[layer];
    const int cells = (spec.input_size + stride - 1) / stride;
    for (int y = 0; y < cells; ++y) {
      for (int x = 0; x < cells; ++x) {
        const Point centre{(static_cast<float>(x) + 0.5f) / static_cast<float>(cells),
                           (static_cast<float>(y) + 0.5f) / static_cast<float>(cells)};
        for (int a = 0; a < per_cell; ++a) anchors.push_back(centre);
      }
    }
    layer = last;
  }
  return anchors;
}

std::vector<float> letterbox_input(const ImageView& image, const Box& region, int size) {
  check_region(image, region, "letterbox_input");
  if (size <= 0 || size > 1024)
    throw InputError("letterbox_input: size " + std::to_string(size) + " is outside [1, 1024]");
  const Letterbox box = letterbox_of(region, size);
  // Black (0) is -1 in the network's range.
  std::vector<float> out(static_cast<std::size_t>(size) * size * 3, -1.0f);
  for (int c = 0; c < 3; ++c) {
    const Image scaled = resize(plane(image, region, c).view(), box.width, box.height);
    for (int y = 0; y < box.height; ++y) {
      const std::uint8_t* in = scaled.row(y);
      float* o = out.data() + (static_cast<std::size_t>(y + box.top) * size + box.left) * 3 + c;
      for (int x = 0; x < box.width; ++x)
        o[static_cast<std::size_t>(x) * 3] = static_cast<float>(in[x]) / 127.5f - 1.0f;
    }
  }
  return out;
}

std::vector<FaceDetection> weighted_nms(const std::vector<FaceDetection>& sorted, float threshold) {
  std::vector<FaceDetection> kept;
  std::vector<bool> used(sorted.size(), false);
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (used[i]) continue;
    const FaceDetection& best = sorted[i];
    float total = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    std::array<Point, 6> points{};
    for (std::size_t j = i; j < sorted.size(); ++j) {
      if (used[j] || (j != i && !(iou(best, sorted[j]) > threshold))) continue;
      used[j] = true;
      const FaceDetection& d = sorted[j];
      total += d.score;
      x0 += d.x * d.score;
      y0 += d.y * d.score;
      x1 += (d.x + d.width) * d.score;
      y1 += (d.y + d.height) * d.score;
      for (std::size_t k = 0; k < points.size(); ++k) {
        points[k].x += d.keypoints[k].x * d.score;
        points[k].y += d.keypoints[k].y * d.score;
      }
    }
    FaceDetection merged = best;
    merged.x = x0 / total;
    merged.y = y0 / total;
    merged.width = x1 / total - merged.x;
    merged.height = y1 / total - merged.y;
    for (std::size_t k = 0; k < points.size(); ++k) {
      merged.keypoints[k] = {points[k].x / total, points[k].y / total};
    }
    kept.push_back(merged);
  }
  return kept;
}

BlazeFace::BlazeFace(InferenceNetwork network, BlazeFaceModel model)
    : network_(std::move(network)), model_(model), anchors_(blazeface_anchors(model)) {
  const ModelSpec spec = spec_of(model);
  input_size_ = spec.input_size;
  const std::vector<int> expected{1, spec.input_size, spec.input_size, 3};
  if (network_.input_shape() != expected ||
      static_cast<int>(anchors_.size()) != spec.anchor_count) {
    throw InputError("BlazeFace: the network's input is not 1x" + std::to_string(spec.input_size) +
                     "x" + std::to_string(spec.input_size) +
                     "x3 (is it the other BlazeFace model?)");
  }
}

std::vector<FaceDetection> BlazeFace::detect(const ImageView& image,
                                             const BlazeFaceParams& params) const {
  return detect(image, Box{0, 0, image.width(), image.height()}, params);
}

std::vector<FaceDetection> BlazeFace::detect(const ImageView& image, const Box& region,
                                             const BlazeFaceParams& params) const {
  check_region(image, region, "BlazeFace::detect");
  if (!(params.min_score > 0.0f && params.min_score < 1.0f) ||
      !(params.nms_threshold > 0.0f && params.nms_threshold <= 1.0f)) {
    throw InputError("BlazeFace::detect: min_score must be in (0, 1) and nms_threshold in (0, 1]");
  }
  const std::vector<Tensor> outputs = network_.run(letterbox_input(image, region, input_size_));
  const auto count = anchors_.size();
  if (outputs.size() != 2 || outputs[0].data.size() != count * kCoords ||
      outputs[1].data.size() != count) {
    throw InputError("BlazeFace: the network's outputs are not boxes and scores per anchor");
  }
  const float* raw = outputs[0].data.data();
  const float* logits = outputs[1].data.data();
  const auto size = static_cast<float>(input_size_);
  std::vector<FaceDetection> found;
  for (std::size_t i = 0; i < count; ++i) {
    const float logit = std::clamp(logits[i], -kScoreClipping, kScoreClipping);
    const float score = sigmoid(logit);
    if (!(score >= params.min_score)) continue;  // NaN (a broken network) is no face
    const float* r = raw + i * kCoords;
    const Point a = anchors_[i];
    // Offsets are in input pixels (x_scale = input size), anchors unit-sized.
    const float cx = r[0] / size + a.x, cy = r[1] / size + a.y;
    const float w = r[2] / size, h = r[3] / size;
    FaceDetection d;
    d.x = cx - w / 2.0f;
    d.y = cy - h / 2.0f;
    d.width = w;
    d.height = h;
    for (int k = 0; k < 6; ++k)
      d.keypoints[k] = {r[4 + 2 * k] / size + a.x, r[5 + 2 * k] / size + a.y};
    d.score = score;
    found.push_back(d);
  }
  std::stable_sort(found.begin(), found.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.score > b.score;
  });
  std::vector<FaceDetection> faces = weighted_nms(found, params.nms_threshold);

  // From the unit square of the letterbox to the image's pixels.
  const Letterbox box = letterbox_of(region, input_size_);
  const float scale = static_cast<float>(std::max(region.width, region.height)) /
                      static_cast<float>(std::max(box.width, box.height));
  auto to_x = [&](float u) {
    return (u * size - static_cast<float>(box.left)) * scale + static_cast<float>(region.x);
  };
  auto to_y = [&](float v) {
    return (v * size - static_cast<float>(box.top)) * scale + static_cast<float>(region.y);
  };
  for (FaceDetection& f : faces) {
    const float x1 = to_x(f.x + f.width), y1 = to_y(f.y + f.height);
    f.x = to_x(f.x);
    f.y = to_y(f.y);
    f.width = x1 - f.x;
    f.height = y1 - f.y;
    for (Point& p : f.keypoints) p = {to_x(p.x), to_y(p.y)};
  }
  return faces;
}

}  // namespace facegender
