// Viola-Jones face detection with OpenCV's Haar cascades, re-implemented so the
// browser (WebAssembly) and the trainer find the very same faces. Cascades are
// read from JSON made at build time from Debian's opencv-data XML files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facegender/image.hpp"

namespace facegender {

// Same meaning as cv::CascadeClassifier::detectMultiScale's parameters.
struct DetectParams {
  double scale_factor = 1.1;
  int min_neighbors = 3;
  int min_size = 0;  // smallest window side in pixels; 0 = the cascade's window
  int max_size = 0;  // largest window side; 0 = the image
};

struct CascadeData;

class Cascade {
 public:
  // Throws InputError naming `source` when the JSON is malformed or uses
  // features this detector does not support (tilted Haar features).
  static Cascade from_json(std::string_view json, const std::string& source);
  static Cascade from_file(const std::string& path);

  int window_width() const;
  int window_height() const;
  int stage_count() const;

  // All windows accepted by every stage, before grouping.
  std::vector<Box> detect_candidates(const ImageView& gray, const DetectParams& params) const;
  // Candidates grouped like detectMultiScale (groupRectangles, eps 0.2).
  std::vector<Box> detect(const ImageView& gray, const DetectParams& params) const;

 private:
  explicit Cascade(std::shared_ptr<const CascadeData> data);
  std::shared_ptr<const CascadeData> data_;
};

// cv::groupRectangles: clusters similar boxes, keeps clusters with more than
// `group_threshold` members, drops small clusters inside bigger ones.
std::vector<Box> group_rectangles(const std::vector<Box>& boxes, int group_threshold,
                                  double eps = 0.2);

// How to search a photo for faces.
struct FaceSearch {
  DetectParams detect;
  // Tight face crops leave the cascade no context: pad each side by this
  // fraction of the longer side (replicated border) before detecting.
  double pad_fraction = 0.0;
  // Detect on a copy shrunk so its longer side is at most this (0 = never).
  int max_side = 0;
};

// Faces in a Gray8 photo, in its pixel coordinates, clipped to it, largest first.
std::vector<Box> find_faces(const Cascade& faces, const ImageView& gray, const FaceSearch& search);

// Head roll in degrees (positive = clockwise in the image) from the line
// through the two eyes found inside the upper part of `face`; nothing when two
// eyes are not found.
std::optional<double> estimate_roll(const Cascade& eyes, const ImageView& gray, const Box& face);

}  // namespace facegender
