#include "facegender/pipeline.hpp"

#include <chrono>
#include <cmath>
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

// Crops and tensors for `boxes` found in `gray`; the stage times from `start`
// (gray conversion) and `found` (boxes known).
FaceBatch batch_of(const ImageView& gray, std::vector<Box> boxes, const CropGeometry& geometry,
                   const Normalization& normalization, Clock::time_point start,
                   Clock::time_point found) {
  FaceBatch batch;
  batch.input = geometry.input;
  batch.boxes = std::move(boxes);
  const std::size_t plane =
      static_cast<std::size_t>(geometry.input) * static_cast<std::size_t>(geometry.input);
  batch.tensor.resize(batch.boxes.size() * plane);
  for (std::size_t i = 0; i < batch.boxes.size(); ++i) {
    const Image crop = crop_face(gray, batch.boxes[i], geometry);
    const Image input = center_crop(crop.view(), geometry.input);
    to_tensor(input.view(), normalization,
              std::span<float>(batch.tensor).subspan(i * plane, plane));
  }
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

}  // namespace facegender
