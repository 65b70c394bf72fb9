// Pixel preprocessing shared by training and the browser: grayscale, resize,
// the face crop and the model's input tensor. Every function is deterministic
// integer (or correctly rounded float) arithmetic, so native and WebAssembly
// builds produce identical bytes.
#pragma once

#include <span>
#include <vector>

#include "facegender/image.hpp"

namespace facegender {

// BT.601 luma with OpenCV's fixed-point rounding (cvtColor *2GRAY): any format
// to Gray8. A Gray8 input is copied.
Image to_gray(const ImageView& src);

// Area averaging (exact, rounded to nearest); for shrinking. Gray8 only.
Image resize_area(const ImageView& gray, int width, int height);

// Bilinear with half-pixel centres and 8-bit fixed-point weights, identical to
// cv::resize INTER_LINEAR_EXACT. Gray8 only.
Image resize_bilinear(const ImageView& gray, int width, int height);

// Area when neither side grows, bilinear otherwise.
Image resize(const ImageView& gray, int width, int height);

// Where a face crop sits in the photo and what the model is fed.
struct CropGeometry {
  double margin = 0.2;  // added on each side, as a fraction of the box's longer side
  int size = 100;       // the square crop is resized to size x size (what datasets store)
  int input = 80;       // the model sees the centre input x input of it
};

// The square around `box` (side = longer side * (1 + 2 * margin), same centre),
// with replicated borders where it leaves the image. Gray8 only.
Image square_crop(const ImageView& gray, const Box& box, double margin);

// THE face crop: square_crop, then resize to geometry.size x geometry.size.
Image crop_face(const ImageView& gray, const Box& box, const CropGeometry& geometry);

// The centre size x size of an image at least that large.
Image center_crop(const ImageView& gray, int size);

// x -> (x / 255 - mean) / std, per pixel.
struct Normalization {
  float mean = 0.0f;
  float std = 1.0f;
  friend bool operator==(const Normalization&, const Normalization&) = default;
};

// Gray8 -> float32 plane (one image of an NCHW batch with C = 1), written into
// `out`, which must hold width * height floats.
void to_tensor(const ImageView& gray, const Normalization& norm, std::span<float> out);
std::vector<float> to_tensor(const ImageView& gray, const Normalization& norm);

}  // namespace facegender
