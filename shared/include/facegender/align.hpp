// The aligned face crop: from a face's keypoints, a square turned so the eyes
// are level, centred and scaled by the eyes and the mouth so that it holds
// the face from the hairline to the chin, resampled bilinearly with a
// replicated border. Fixed-point sampling, so native and WebAssembly give the
// same bytes.
#pragma once

#include "facegender/blazeface.hpp"
#include "facegender/image.hpp"
#include "facegender/preprocess.hpp"

namespace facegender {

// How the square is placed, in units of the eye-to-mouth distance d (from
// the midpoint of the eyes to the mouth).
struct AlignSpec {
  // Side of the square = scale * d. 3.0 keeps the face and little else: the
  // whole head (4.2) reached past tight face crops (UTKFace, CelebA), whose
  // replicated border then filled most of the input, and cost 0.6-1.7 points
  // of val accuracy (docs/EXPERIMENTS.md).
  double scale = 3.0;
  double shift = 0.2;  // centre = eye midpoint + shift * d towards the mouth
  int size = 80;       // output side in pixels (the model's input)
  friend bool operator==(const AlignSpec&, const AlignSpec&) = default;
};

// A square turned by the eye line: centre, side and unit axes, in pixels.
struct CropSquare {
  double cx = 0, cy = 0;    // centre
  double side = 0;          // side length
  double cos = 1, sin = 0;  // the square's x axis is (cos, sin); its y axis (-sin, cos)
};

// Throws InputError when the spec is out of range (scale outside (0, 20],
// shift outside [-2, 2], size outside [8, 1024]) or the face's eyes coincide.
CropSquare aligned_square(const FaceDetection& face, const AlignSpec& spec);

// The pixels of `square` in `gray` as a size x size image: bilinear with
// 8-bit weights, replicated border, the image shrunk by area averaging first
// when the square is more than twice the output's size. Gray8 only; throws
// InputError otherwise, for a non-positive side, or for a square that is not
// finite or lies more than 2^24 pixels out (or whose axes are not unit).
Image warp_square(const ImageView& gray, const CropSquare& square, int size);

// THE aligned crop: warp_square(gray, aligned_square(face, spec), spec.size).
Image aligned_crop(const ImageView& gray, const FaceDetection& face, const AlignSpec& spec);

// How a model's input is cut from a face.
enum class CropKind {
  Box,      // THE face crop around a square box (the models trained on Haar boxes)
  Aligned,  // the aligned crop from the keypoints (facegender/align.hpp)
};

struct CropSpec {
  CropKind kind = CropKind::Box;
  CropGeometry box;   // kind Box
  AlignSpec aligned;  // kind Aligned
  int input() const { return kind == CropKind::Box ? box.input : aligned.size; }
};

}  // namespace facegender
