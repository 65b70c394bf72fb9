// Finding faces with BlazeFace, with one set of settings per kind of picture
// (the pipeline presets). The CLI, prepare, eval, inspect, the page, the
// benchmarks and the tests all take their settings from scene_settings(), so
// the same picture gives the same faces everywhere.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "facegender/blazeface.hpp"
#include "facegender/image.hpp"

namespace facegender {

// What kind of picture is searched.
//   Photo:  any photo; small faces too (both models), and a face that fills
//           the picture is found by a padded retry.
//   Webcam: video frames; the short-range model only (faces near the camera).
//   Chip:   a tight crop of one face (a dataset chip); padded, best face only.
enum class Scene { Photo, Webcam, Chip };

// Throws InputError for a name other than "photo", "webcam" or "chip".
Scene parse_scene(std::string_view name);
const char* to_string(Scene scene);

struct SceneSettings {
  bool short_range = true;  // run the 128x128 model on the whole picture
  bool full_range = true;   // run the 192x192 model on the whole picture
  float short_min_score = 0.5f;
  float full_min_score = 0.6f;
  // Replicated border on each side, as a fraction of the longer side, added
  // before detecting (0: none).
  double pad_fraction = 0.0;
  // When nothing is found, try again with this padding (0: no retry), with
  // the short-range model at retry_min_score.
  double retry_pad_fraction = 0.0;
  float retry_min_score = 0.6f;
  int max_faces = 0;  // keep the best this many (0: all)
  // Faces overlapping a better one by more than this IoU are dropped, and
  // so are faces lying mostly (this fraction of their area) inside one.
  float overlap_iou = 0.3f;
  float inside_fraction = 0.6f;
  friend bool operator==(const SceneSettings&, const SceneSettings&) = default;
};

// THE presets.
SceneSettings scene_settings(Scene scene);

class FaceFinder {
 public:
  // Throws InputError when the networks are not the short- and the
  // full-range models, in that order.
  FaceFinder(BlazeFace short_range, BlazeFace full_range);

  // Faces in `image` (any pixel format), best score first, in its pixels.
  // Throws InputError for settings out of range.
  std::vector<FaceDetection> find(const ImageView& image, const SceneSettings& settings) const;

  const BlazeFace& short_range() const { return short_; }
  const BlazeFace& full_range() const { return full_; }

 private:
  std::vector<FaceDetection> search(const ImageView& image, const SceneSettings& settings,
                                    double pad_fraction) const;
  BlazeFace short_;
  BlazeFace full_;
};

// The integer box of a detection (rounded outwards, clipped to the image).
Box to_box(const FaceDetection& face, int width, int height);

}  // namespace facegender
