// The whole per-frame path from pixels to model input, as one call: what the
// browser runs on every frame and the native classifier on every photo.
#pragma once

#include <vector>

#include "facegender/align.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/preprocess.hpp"
#include "facegender/track.hpp"

namespace facegender {

struct FaceBatch {
  std::vector<Box> boxes;  // in the frame's pixels; Haar: largest first, BlazeFace: best first
  std::vector<FaceDetection> faces;  // BlazeFace only: box, keypoints and score per face
  std::vector<int> identities;       // FaceSmoother only: each face's track (FaceSmoother)
  std::vector<float> tensor;         // boxes.size() x 1 x input x input, NCHW
  int input = 0;                     // side of each model input
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

// The box a Box-crop model expects, from a BlazeFace detection: the square
// the Haar cascade puts on the same face. Fitted on the 391 UTKFace val
// chips where both found one face: the same centre but 4% of the height
// higher, a side 1.02 times the width (medians; docs/ARCHITECTURE.md).
Box haar_like_box(const FaceDetection& face, int width, int height);

// The box a face is shown with, in a width x height frame: haar_like_box
// (clipped) for a box crop, which is also the box the crop is cut around;
// the detection's own box (to_box) for the aligned crop.
Box face_box(const FaceDetection& face, const CropSpec& spec, int width, int height);

// One face's crop as datasets store it (Gray8): the box crop at
// spec.box.size, or the aligned crop. Throws InputError for a bad spec.
Image stored_crop(const ImageView& gray, const FaceDetection& face, const CropSpec& spec);

// One face's model input (spec.input() squared, Gray8) from a Gray8 frame:
// stored_crop, then the centre spec.box.input of a box crop. Throws
// InputError for a bad spec.
Image face_input(const ImageView& gray, const FaceDetection& face, const CropSpec& spec);

// frame (any format) -> FaceFinder (BlazeFace, the scene's settings) ->
// gray -> face_input -> to_tensor, batched; faces best first.
FaceBatch prepare_faces(const FaceFinder& finder, const ImageView& frame,
                        const SceneSettings& scene, const CropSpec& crop,
                        const Normalization& normalization);

// The same for the next frame of a video: the faces of the webcam preset,
// steadied by `smoother`.
FaceBatch prepare_faces(FaceSmoother& smoother, const FaceFinder& finder, const ImageView& frame,
                        const CropSpec& crop, const Normalization& normalization);

}  // namespace facegender
