#include "facegender/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace facegender {
namespace {

using Clock = std::chrono::steady_clock;

double milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

void validate(const CropGeometry& geometry) {
  if (geometry.input <= 0 || geometry.input > geometry.size) {
    throw InputError("crop geometry: model input " + std::to_string(geometry.input) +
                     " must be positive and at most the crop size " +
                     std::to_string(geometry.size));
  }
  if (!(geometry.margin >= 0.0 && geometry.margin <= 4.0)) {
    throw InputError("crop geometry: margin " + std::to_string(geometry.margin) +
                     " is outside [0, 4]");
  }
}

namespace {

// batch.tensor from `count` model inputs of batch.input squared pixels,
// input_of(i) giving the i-th.
template <class InputOf>
void write_inputs(FaceBatch& batch, std::size_t count, const Normalization& normalization,
                  InputOf input_of) {
  const std::size_t plane =
      static_cast<std::size_t>(batch.input) * static_cast<std::size_t>(batch.input);
  batch.tensor.resize(count * plane);
  for (std::size_t i = 0; i < count; ++i) {
    const Image input = input_of(i);
    to_tensor(input.view(), normalization,
              std::span<float>(batch.tensor).subspan(i * plane, plane));
  }
}

// Crops and tensors for `boxes` found in `gray`; the stage times from `start`
// (gray conversion) and `found` (boxes known).
FaceBatch batch_of(const ImageView& gray, std::vector<Box> boxes, const CropGeometry& geometry,
                   const Normalization& normalization, Clock::time_point start,
                   Clock::time_point found) {
  FaceBatch batch;
  batch.input = geometry.input;
  batch.boxes = std::move(boxes);
  write_inputs(batch, batch.boxes.size(), normalization, [&](std::size_t i) {
    return center_crop(crop_face(gray, batch.boxes[i], geometry).view(), geometry.input);
  });
  batch.detect_ms = milliseconds(found - start);
  batch.prepare_ms = milliseconds(Clock::now() - found);
  return batch;
}

}  // namespace

FaceBatch prepare_faces(const Cascade& faces, const ImageView& frame, const FaceSearch& search,
                        const CropGeometry& geometry, const Normalization& normalization) {
  validate(geometry);
  const auto start = Clock::now();
  const Image gray = to_gray(frame);
  std::vector<Box> boxes = find_faces(faces, gray.view(), search);
  return batch_of(gray.view(), std::move(boxes), geometry, normalization, start, Clock::now());
}

FaceBatch prepare_faces(FaceTracker& tracker, const Cascade& faces, const ImageView& frame,
                        const CropGeometry& geometry, const Normalization& normalization) {
  validate(geometry);
  const auto start = Clock::now();
  const Image gray = to_gray(frame);
  std::vector<Box> boxes = tracker.update(faces, gray.view());
  return batch_of(gray.view(), std::move(boxes), geometry, normalization, start, Clock::now());
}

Box haar_like_box(const FaceDetection& face, int width, int height) {
  const double side = 1.02 * face.width;
  const double cx = face.x + face.width / 2.0;
  const double cy = face.y + face.height / 2.0 - 0.04 * face.height;
  const double s_real = std::max(1.0, std::floor(side + 0.5));
  const double x_real = std::floor(cx - s_real / 2.0 + 0.5);
  const double y_real = std::floor(cy - s_real / 2.0 + 0.5);
  // A box that is not finite, or beyond int's range, has no pixels to cut.
  constexpr double kLimit = std::numeric_limits<int>::max();
  if (!(s_real <= kLimit && std::fabs(x_real) <= kLimit && std::fabs(y_real) <= kLimit)) {
    throw InputError("haar_like_box: the face's box (" + std::to_string(face.x) + ", " +
                     std::to_string(face.y) + ", " + std::to_string(face.width) + " x " +
                     std::to_string(face.height) + ") is not a box in pixels");
  }
  const int s = static_cast<int>(s_real);
  const int x = static_cast<int>(x_real);
  const int y = static_cast<int>(y_real);
  const Box clipped = clip_box({x, y, s, s}, width, height);
  if (clipped.width <= 0 || clipped.height <= 0) {
    throw InputError("haar_like_box: the face lies outside the " + std::to_string(width) + "x" +
                     std::to_string(height) + " image");
  }
  return {x, y, s, s};
}

Box face_box(const FaceDetection& face, const CropSpec& spec, int width, int height) {
  if (spec.kind == CropKind::Aligned) return to_box(face, width, height);
  return clip_box(haar_like_box(face, width, height), width, height);
}

namespace {

// The stored crop of `face`, whose face_box is `box`.
Image cut(const ImageView& gray, const FaceDetection& face, const Box& box, const CropSpec& spec) {
  if (spec.kind == CropKind::Aligned) return aligned_crop(gray, face, spec.aligned);
  return crop_face(gray, box, spec.box);
}

// A stored crop as the model's input.
Image as_input(Image stored, const CropSpec& spec) {
  if (spec.kind == CropKind::Aligned) return stored;
  return center_crop(stored.view(), spec.box.input);
}

}  // namespace

Image stored_crop(const ImageView& gray, const FaceDetection& face, const CropSpec& spec) {
  if (spec.kind == CropKind::Box) validate(spec.box);
  return cut(gray, face, face_box(face, spec, gray.width(), gray.height()), spec);
}

Image face_input(const ImageView& gray, const FaceDetection& face, const CropSpec& spec) {
  return as_input(stored_crop(gray, face, spec), spec);
}

namespace {

// Crops and tensors for BlazeFace faces `faces` found in `frame`.
FaceBatch blazeface_batch(const ImageView& frame, std::vector<FaceDetection> faces,
                          const CropSpec& crop, const Normalization& normalization,
                          Clock::time_point start) {
  FaceBatch batch;
  batch.faces = std::move(faces);
  const Image gray = to_gray(frame);
  const auto found = Clock::now();
  batch.input = crop.input();
  for (const FaceDetection& face : batch.faces) {
    batch.boxes.push_back(face_box(face, crop, gray.width(), gray.height()));
  }
  write_inputs(batch, batch.faces.size(), normalization, [&](std::size_t i) {
    return as_input(cut(gray.view(), batch.faces[i], batch.boxes[i], crop), crop);
  });
  batch.detect_ms = milliseconds(found - start);
  batch.prepare_ms = milliseconds(Clock::now() - found);
  return batch;
}

}  // namespace

FaceBatch prepare_faces(const FaceFinder& finder, const ImageView& frame,
                        const SceneSettings& scene, const CropSpec& crop,
                        const Normalization& normalization) {
  if (crop.kind == CropKind::Box) validate(crop.box);
  const auto start = Clock::now();
  return blazeface_batch(frame, finder.find(frame, scene), crop, normalization, start);
}

FaceBatch prepare_faces(FaceSmoother& smoother, const FaceFinder& finder, const ImageView& frame,
                        const CropSpec& crop, const Normalization& normalization) {
  if (crop.kind == CropKind::Box) validate(crop.box);
  const auto start = Clock::now();
  FaceBatch batch =
      blazeface_batch(frame, smoother.update(finder.find(frame, scene_settings(Scene::Webcam))),
                      crop, normalization, start);
  batch.identities = smoother.identities();
  return batch;
}

}  // namespace facegender
