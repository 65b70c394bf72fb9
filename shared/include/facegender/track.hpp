// Faces in a video, frame after frame, for less than a full search per frame.
// A full search (find_faces) runs every `full_search_every` frames; in the
// frames between, each face of the previous frame is searched again only in
// a small window around it, shrunk so the face is about `face_pixels` wide.
// On a webcam frame that costs a fraction of a millisecond per face instead
// of tens of milliseconds for the frame; a face that enters the picture is
// found at the next full search at the latest.
#pragma once

#include <vector>

#include "facegender/blazeface.hpp"
#include "facegender/detect.hpp"

namespace facegender {

struct TrackSettings {
  int full_search_every = 6;  // frames; 1 = a full search on every frame
  double window = 2.0;        // side of the window searched, in face sides
  int face_pixels = 36;       // the face's width in the shrunk window
};

class FaceTracker {
 public:
  // Throws InputError for settings out of range (full_search_every < 1,
  // window < 1.2 or > 4, face_pixels below the cascade's window or > 200).
  FaceTracker(const FaceSearch& search, const TrackSettings& settings = {});

  // The faces in this frame (Gray8), largest first, as find_faces gives them.
  std::vector<Box> update(const Cascade& faces, const ImageView& gray);

  // Whether the last update was a full search.
  bool last_was_full_search() const { return last_full_; }
  // The next update is a full search (a new video, or a jump in the picture).
  void reset();

 private:
  FaceSearch search_;
  TrackSettings settings_;
  std::vector<Box> previous_;
  int frames_since_full_ = 0;
  bool started_ = false;
  bool last_full_ = false;
};

// Steady BlazeFace faces from frame to frame. BlazeFace searches a whole
// webcam frame in a few milliseconds, so every frame gets a full search; what
// a video needs on top is steadiness: each face that overlaps one of the
// previous frame (IoU > 0.3) moves only part of the way to its new place
// when it moved little (less than `still` of its width), which takes out
// the jitter of a still head, and all the way when it moved more, so a
// moving head is not trailed. Each face keeps an identity while it overlaps
// its place in the previous frame, and its class probabilities are averaged
// over its frames (an exponential average), so a label does not flicker
// between frames of the same head.
struct SmoothSettings {
  float follow = 0.5f;  // share of a small move taken per frame
  float still = 0.08f;  // moves under this fraction of the face width are "small"
  // Weight of this frame's probabilities in a face's average: 0.3 settles
  // within about 6 frames (0.2 s at 30 fps) after a head turns.
  float probability_follow = 0.3f;
};

class FaceSmoother {
 public:
  // Throws InputError unless follow and probability_follow are in (0, 1]
  // and still in [0, 1].
  explicit FaceSmoother(const SmoothSettings& settings = {});

  // This frame's faces (best first, as FaceFinder gives them), smoothed.
  std::vector<FaceDetection> update(const std::vector<FaceDetection>& faces);
  // The identity of each face of the last update, in its order: a face keeps
  // its number while it stays in view; a new face gets a new one.
  const std::vector<int>& identities() const { return ids_; }
  // This frame's probabilities (one row of `classes` per face of the last
  // update, row-major) averaged with each face's earlier frames; a new face's
  // row is returned as it is. Throws InputError when the size is not
  // faces x classes or classes < 1.
  std::vector<float> smooth_probabilities(const std::vector<float>& rows, int classes);
  void reset();

 private:
  SmoothSettings settings_;
  std::vector<FaceDetection> previous_;
  std::vector<int> ids_;                      // of previous_
  std::vector<int> averaged_ids_;             // the faces averaged_ holds rows of
  std::vector<std::vector<float>> averaged_;  // each face's average probabilities
  int next_id_ = 1;
};

}  // namespace facegender
