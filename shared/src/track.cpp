#include "facegender/track.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "facegender/preprocess.hpp"

namespace facegender {
namespace {

// A tracked face must overlap its previous place this much, else it is lost.
constexpr double kMinOverlap = 0.3;
// Two tracked faces overlapping this much are one face.
constexpr double kSameFace = 0.5;

int round_half_up(double v) {
  return static_cast<int>(std::floor(v + 0.5));
}

bool larger_first(const Box& a, const Box& b) {
  if (a.area() != b.area()) return a.area() > b.area();
  return a.y != b.y ? a.y < b.y : a.x < b.x;
}

// The face near `previous` in this frame, searched in a window around it
// shrunk so the face is about `face_pixels` wide; nothing when it is gone.
std::optional<Box> search_near(const Cascade& faces, const ImageView& gray, const Box& previous,
                               const FaceSearch& search, const TrackSettings& settings) {
  const int side = round_half_up(previous.width * settings.window);
  const Box region = clip_box({previous.x + previous.width / 2 - side / 2,
                               previous.y + previous.height / 2 - side / 2, side, side},
                              gray.width(), gray.height());
  const int face_pixels = std::max(settings.face_pixels, faces.window_width() * 5 / 4);
  if (region.width < faces.window_width() || region.height < faces.window_height()) {
    return std::nullopt;
  }
  const double f = std::min(1.0, static_cast<double>(face_pixels) / previous.width);
  const int w = std::max(1, round_half_up(region.width * f));
  const int h = std::max(1, round_half_up(region.height * f));
  const ImageView view = sub_view(gray, region);
  Image shrunk;
  if (w != region.width || h != region.height) shrunk = resize_area(view, w, h);
  const ImageView searched = shrunk.empty() ? view : shrunk.view();

  // A face changes size little from one frame to the next: only windows
  // from 0.7x to 1.5x its size are tried.
  DetectParams params = search.detect;
  const double face_side = previous.width * f;  // in the searched pixels
  params.min_size = std::max(faces.window_width(), round_half_up(face_side * 0.7));
  params.max_size = std::max(params.min_size, round_half_up(face_side * 1.5));
  const double sx = static_cast<double>(region.width) / searched.width();
  const double sy = static_cast<double>(region.height) / searched.height();
  std::optional<Box> best;
  double best_overlap = kMinOverlap;
  for (const Box& b : faces.detect(searched, params)) {
    const int x0 = region.x + round_half_up(b.x * sx);
    const int y0 = region.y + round_half_up(b.y * sy);
    const int x1 = region.x + round_half_up((b.x + b.width) * sx);
    const int y1 = region.y + round_half_up((b.y + b.height) * sy);
    const Box mapped = clip_box({x0, y0, x1 - x0, y1 - y0}, gray.width(), gray.height());
    const double overlap = iou(mapped, previous);
    if (mapped.width > 0 && mapped.height > 0 && overlap >= best_overlap) {
      best = mapped;
      best_overlap = overlap;
    }
  }
  return best;
}

}  // namespace

FaceTracker::FaceTracker(const FaceSearch& search, const TrackSettings& settings)
    : search_(search), settings_(settings) {
  if (settings.full_search_every < 1) {
    throw InputError("face tracker: full_search_every " +
                     std::to_string(settings.full_search_every) + " must be at least 1");
  }
  if (!(settings.window >= 1.2 && settings.window <= 4.0)) {
    throw InputError("face tracker: window " + std::to_string(settings.window) +
                     " is outside [1.2, 4]");
  }
  if (settings.face_pixels < 16 || settings.face_pixels > 200) {
    throw InputError("face tracker: face_pixels " + std::to_string(settings.face_pixels) +
                     " is outside [16, 200]");
  }
}

void FaceTracker::reset() {
  previous_.clear();
  started_ = false;
  frames_since_full_ = 0;
}

std::vector<Box> FaceTracker::update(const Cascade& faces, const ImageView& gray) {
  if (gray.format() != PixelFormat::Gray8) {
    throw InputError(std::string("face tracker: expected a Gray8 frame, got ") +
                     to_string(gray.format()));
  }
  last_full_ = !started_ || frames_since_full_ + 1 >= settings_.full_search_every;
  started_ = true;
  if (last_full_) {
    frames_since_full_ = 0;
    previous_ = find_faces(faces, gray, search_);
    return previous_;
  }
  ++frames_since_full_;
  std::vector<Box> found;
  for (const Box& previous : previous_) {
    const std::optional<Box> now = search_near(faces, gray, previous, search_, settings_);
    if (!now) continue;
    const bool seen = std::any_of(found.begin(), found.end(),
                                  [&](const Box& b) { return iou(b, *now) > kSameFace; });
    if (!seen) found.push_back(*now);
  }
  std::stable_sort(found.begin(), found.end(), larger_first);
  previous_ = found;
  return found;
}

namespace {

float toward(float from, float to, float share) {
  return from + (to - from) * share;
}

}  // namespace

FaceSmoother::FaceSmoother(const SmoothSettings& settings) : settings_(settings) {
  if (!(settings.follow > 0.0f && settings.follow <= 1.0f) ||
      !(settings.still >= 0.0f && settings.still <= 1.0f) ||
      !(settings.probability_follow > 0.0f && settings.probability_follow <= 1.0f)) {
    throw InputError(
        "face smoother: follow and probability_follow must be in (0, 1] and still in [0, 1]");
  }
}

void FaceSmoother::reset() {
  previous_.clear();
  ids_.clear();
  averaged_ids_.clear();
  averaged_.clear();
}

std::vector<FaceDetection> FaceSmoother::update(const std::vector<FaceDetection>& faces) {
  std::vector<FaceDetection> out;
  std::vector<int> ids;
  std::vector<bool> taken(previous_.size(), false);
  for (const FaceDetection& face : faces) {
    int match = -1;
    float best = 0.3f;
    for (std::size_t i = 0; i < previous_.size(); ++i) {
      const float o = iou(face, previous_[i]);
      if (!taken[i] && o > best) {
        best = o;
        match = static_cast<int>(i);
      }
    }
    if (match < 0) {
      out.push_back(face);
      ids.push_back(next_id_++);
      continue;
    }
    taken[static_cast<std::size_t>(match)] = true;
    ids.push_back(ids_[static_cast<std::size_t>(match)]);
    const FaceDetection& before = previous_[static_cast<std::size_t>(match)];
    const float dx = (face.x + face.width / 2) - (before.x + before.width / 2);
    const float dy = (face.y + face.height / 2) - (before.y + before.height / 2);
    const float moved = std::sqrt(dx * dx + dy * dy);
    const float share = moved < settings_.still * face.width ? settings_.follow : 1.0f;
    FaceDetection f = face;
    f.x = toward(before.x, face.x, share);
    f.y = toward(before.y, face.y, share);
    f.width = toward(before.width, face.width, share);
    f.height = toward(before.height, face.height, share);
    for (std::size_t k = 0; k < f.keypoints.size(); ++k) {
      f.keypoints[k] = {toward(before.keypoints[k].x, face.keypoints[k].x, share),
                        toward(before.keypoints[k].y, face.keypoints[k].y, share)};
    }
    out.push_back(f);
  }
  previous_ = out;
  ids_ = std::move(ids);
  return out;
}

std::vector<float> FaceSmoother::smooth_probabilities(const std::vector<float>& rows, int classes) {
  const std::size_t faces = ids_.size();
  if (classes < 1 || rows.size() != faces * static_cast<std::size_t>(classes)) {
    throw InputError("face smoother: " + std::to_string(rows.size()) + " probabilities for " +
                     std::to_string(faces) + " faces of " + std::to_string(classes) + " classes");
  }
  const auto width = static_cast<std::size_t>(classes);
  std::vector<float> out(rows);
  std::vector<std::vector<float>> averaged(faces);
  for (std::size_t i = 0; i < faces; ++i) {
    const float* row = rows.data() + i * width;
    std::vector<float> mean(row, row + width);
    const auto earlier = std::find(averaged_ids_.begin(), averaged_ids_.end(), ids_[i]);
    if (earlier != averaged_ids_.end()) {
      const std::vector<float>& before =
          averaged_[static_cast<std::size_t>(earlier - averaged_ids_.begin())];
      if (before.size() == width) {
        for (std::size_t k = 0; k < width; ++k)
          mean[k] = toward(before[k], row[k], settings_.probability_follow);
      }
    }
    std::copy(mean.begin(), mean.end(), out.begin() + static_cast<std::ptrdiff_t>(i * width));
    averaged[i] = std::move(mean);
  }
  averaged_ids_ = ids_;
  averaged_ = std::move(averaged);
  return out;
}

}  // namespace facegender
