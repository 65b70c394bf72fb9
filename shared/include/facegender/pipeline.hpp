// The whole per-frame path from pixels to model input, as one call: what the
// browser runs on every frame and the native classifier on every photo.
#pragma once

#include <vector>

#include "facegender/detect.hpp"
#include "facegender/preprocess.hpp"
#include "facegender/track.hpp"

namespace facegender {

struct FaceBatch {
  std::vector<Box> boxes;     // in the frame's pixels, largest first
  std::vector<float> tensor;  // boxes.size() x 1 x input x input, NCHW
  int input = 0;              // side of each model input
  // Wall time of the two stages, measured here because the browser crosses
  // into the core once per frame and cannot time them from outside.
  double detect_ms = 0;   // gray conversion + face search
  double prepare_ms = 0;  // crops + tensor
};

// Throws InputError when the geometry cannot produce a model input, so a bad
// geometry fails on every frame, not only on frames with a face.
void validate(const CropGeometry& geometry);

// frame (any format) -> gray -> find_faces -> crop_face -> center_crop ->
// to_tensor, batched.
FaceBatch prepare_faces(const Cascade& faces, const ImageView& frame, const FaceSearch& search,
                        const CropGeometry& geometry, const Normalization& normalization);

// The same for the next frame of a video: the faces come from `tracker`
// (a full search only every few frames); crops and tensors as above.
FaceBatch prepare_faces(FaceTracker& tracker, const Cascade& faces, const ImageView& frame,
                        const CropGeometry& geometry, const Normalization& normalization);

}  // namespace facegender
