#include "facegender/face_finder.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "facegender/image.hpp"

namespace facegender {
namespace {

// A copy of `image` with `pad` pixels of replicated border on every side.
Image padded(const ImageView& image, int pad) {
  const int w = image.width() + 2 * pad, h = image.height() + 2 * pad;
  Image out(w, h, image.format());
  const int ch = image.channels();
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* in = image.row(std::clamp(y - pad, 0, image.height() - 1));
    std::uint8_t* o = out.row(y);
    for (int x = 0; x < w; ++x) {
      const int sx = std::clamp(x - pad, 0, image.width() - 1);
      for (int c = 0; c < ch; ++c) o[x * ch + c] = in[sx * ch + c];
    }
  }
  return out;
}

float area(const FaceDetection& f) {
  return f.width * f.height;
}

// Keeps, best first, faces that neither overlap a kept one too much nor lie
// mostly inside one (the two models' answers for one face, or a false face
// on a real face's cheek).
std::vector<FaceDetection> distinct(std::vector<FaceDetection> faces, const SceneSettings& s) {
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.score > b.score;
  });
  std::vector<FaceDetection> kept;
  for (const FaceDetection& f : faces) {
    const bool clash = std::any_of(kept.begin(), kept.end(), [&](const FaceDetection& k) {
      const float inter = intersection_area(f, k);
      const float uni = area(f) + area(k) - inter;
      return inter > s.overlap_iou * uni || inter > s.inside_fraction * std::min(area(f), area(k));
    });
    if (!clash) kept.push_back(f);
  }
  if (s.max_faces > 0 && static_cast<int>(kept.size()) > s.max_faces)
    kept.resize(static_cast<std::size_t>(s.max_faces));
  return kept;
}

void check(const SceneSettings& s) {
  auto score_ok = [](float v) { return v > 0.0f && v < 1.0f; };
  if (!(s.short_range || s.full_range) || !score_ok(s.short_min_score) ||
      !score_ok(s.full_min_score) || !(s.pad_fraction >= 0 && s.pad_fraction <= 1) ||
      !(s.retry_pad_fraction >= 0 && s.retry_pad_fraction <= 1) || !score_ok(s.retry_min_score) ||
      s.max_faces < 0 || !(s.overlap_iou > 0 && s.overlap_iou <= 1) ||
      !(s.inside_fraction > 0 && s.inside_fraction <= 1)) {
    throw InputError(
        "face search settings: a model must be on, scores in (0, 1), paddings in [0, 1], "
        "max_faces >= 0, overlap limits in (0, 1]");
  }
}

}  // namespace

Scene parse_scene(std::string_view name) {
  if (name == "photo") return Scene::Photo;
  if (name == "webcam") return Scene::Webcam;
  if (name == "chip") return Scene::Chip;
  throw InputError("unknown scene '" + std::string(name) + "' (photo, webcam or chip)");
}

const char* to_string(Scene scene) {
  switch (scene) {
    case Scene::Photo:
      return "photo";
    case Scene::Webcam:
      return "webcam";
    case Scene::Chip:
      return "chip";
  }
  return "?";
}

SceneSettings scene_settings(Scene scene) {
  SceneSettings s;
  switch (scene) {
    case Scene::Photo:
      // Measured on UTKFace and CelebA val chips and 121 face-free photos
      // (docs/BENCHMARKS.md): unpadded, the short-range model gives false
      // faces at 0.5-0.75 on textures and tight chips score low, so it
      // must be sure here, and a face that fills the picture is found by the
      // padded retry.
      s.short_min_score = 0.75f;
      s.retry_pad_fraction = 0.25;
      s.retry_min_score = 0.6f;
      break;
    case Scene::Webcam:
      s.full_range = false;
      break;
    case Scene::Chip:
      s.full_range = false;
      s.pad_fraction = 0.25;
      s.max_faces = 1;
      break;
  }
  return s;
}

FaceFinder::FaceFinder(BlazeFace short_range, BlazeFace full_range)
    : short_(std::move(short_range)), full_(std::move(full_range)) {
  if (short_.model() != BlazeFaceModel::ShortRange || full_.model() != BlazeFaceModel::FullRange) {
    throw InputError("FaceFinder: expected the short-range model, then the full-range model");
  }
}

std::vector<FaceDetection> FaceFinder::search(const ImageView& image, const SceneSettings& s,
                                              double pad_fraction) const {
  const int pad =
      static_cast<int>(std::floor(pad_fraction * std::max(image.width(), image.height()) + 0.5));
  Image copy;
  if (pad > 0) copy = padded(image, pad);
  const ImageView searched = pad > 0 ? copy.view() : image;
  std::vector<FaceDetection> faces;
  if (s.short_range) {
    for (const auto& f : short_.detect(searched, {s.short_min_score, 0.3f})) faces.push_back(f);
  }
  if (s.full_range) {
    for (const auto& f : full_.detect(searched, {s.full_min_score, 0.3f})) faces.push_back(f);
  }
  if (pad > 0) {
    const auto shift = static_cast<float>(pad);
    for (FaceDetection& f : faces) {
      f.x -= shift;
      f.y -= shift;
      for (Point& p : f.keypoints) p = {p.x - shift, p.y - shift};
    }
  }
  return faces;
}

std::vector<FaceDetection> FaceFinder::find(const ImageView& image, const SceneSettings& s) const {
  check(s);
  std::vector<FaceDetection> faces = search(image, s, s.pad_fraction);
  if (faces.empty() && s.retry_pad_fraction > 0) {
    SceneSettings retry = s;
    retry.full_range = false;
    retry.short_range = true;
    retry.short_min_score = s.retry_min_score;
    faces = search(image, retry, s.retry_pad_fraction);
  }
  return distinct(std::move(faces), s);
}

namespace {

// An edge clamped to [0, size] before it becomes an int (a float beyond
// int's range, or infinite, has no int; NaN counts as 0), as clip_box would.
int clamped_edge(float edge, int size) {
  if (!(edge > 0.0f)) return 0;
  if (edge >= static_cast<float>(size)) return size;
  return static_cast<int>(edge);
}

}  // namespace

Box to_box(const FaceDetection& face, int width, int height) {
  const int x0 = clamped_edge(std::floor(face.x), width);
  const int y0 = clamped_edge(std::floor(face.y), height);
  const int x1 = clamped_edge(std::ceil(face.x + face.width), width);
  const int y1 = clamped_edge(std::ceil(face.y + face.height), height);
  return clip_box({x0, y0, x1 - x0, y1 - y0}, width, height);
}

}  // namespace facegender
