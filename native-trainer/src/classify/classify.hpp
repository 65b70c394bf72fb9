// Photos in, labelled faces out: the steps of `facegender classify`, which
// `facegender export --check-photos` reuses to feed real faces to its parity
// check. Implemented in classify_command.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/label_layout.hpp"
#include "classify/onnx_model.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/pipeline.hpp"
#include "facegender/postprocess.hpp"

namespace facegender::classify {

inline constexpr std::uint64_t kDefaultMaxPixels = 50'000'000;
inline constexpr const char* kFaceCascade = "haarcascade_frontalface_default.json";

// Decodes a photo to 8-bit BGR with its EXIF orientation applied. The header
// is sized first (prepare's probe_image), so an image over `max_pixels` is
// refused before any decoder allocates for it. Throws std::runtime_error
// naming `path` for a missing or unreadable file, an unknown format, too many
// pixels or corrupt data.
cv::Mat read_photo(const std::string& path, std::uint64_t max_pixels);
cv::Mat decode_photo(const std::string& bytes, const std::string& path, std::uint64_t max_pixels);

// Extensions OpenCV decodes and probe_image sizes (case-insensitive).
bool has_image_extension(const std::filesystem::path& path);

// Files stay as given (even without an image extension, so a mistake is
// reported, not skipped); folders are walked recursively and give their
// image files, sorted.
std::vector<std::string> expand_inputs(const std::vector<std::string>& paths);

// The cascade for faces from a folder of the core's cascade JSON files;
// throws std::runtime_error naming the file, with a hint for --cascades.
Cascade load_face_cascade(const std::string& cascade_dir);

// BlazeFace's networks from a folder of .fgnet files; throws
// std::runtime_error naming the file, with a hint for --detectors.
FaceFinder load_face_finder(const std::string& detector_dir);

struct FaceOptions {
  // "auto" (what the model's metadata names: "haar" for the models made
  // before BlazeFace), "haar" or "blazeface".
  std::string detector = "auto";
  Scene scene = Scene::Photo;            // BlazeFace's preset
  const FaceFinder* finder = nullptr;    // not owned; needed when BlazeFace runs
  FaceSearch search = default_search();  // Haar's search
  // The seed's no-crop mode: the whole photo is one face, resized to the
  // crop size (aspect not kept) and centre-cropped to the model input.
  bool whole_image = false;

  // Detection settings for photos: fewer false faces than the core's default
  // (min_neighbors 5) and a bounded cost on big photos (max_side 1024).
  static FaceSearch default_search();
};

// The detector that runs for `spec`: options.detector, or the model's own
// when "auto".
std::string detector_for(const FaceOptions& options, const ModelSpec& spec);

// The detector a model is given, loaded once: Haar's face cascade or
// BlazeFace's networks (neither with whole_image).
struct Detectors {
  std::optional<Cascade> haar;
  std::optional<FaceFinder> blazeface;
};

// Loads the detector detector_for(options, spec) names, from `cascade_dir`
// or `detector_dir`; throws std::runtime_error naming a missing file.
Detectors load_detectors(const FaceOptions& options, const ModelSpec& spec,
                         const std::string& cascade_dir, const std::string& detector_dir);

// Model inputs for a decoded BGR photo: every face the detector finds (Haar:
// largest first; BlazeFace: best first, the crop the model's metadata names),
// or the whole photo as one box. Throws std::invalid_argument when the
// detector it needs is not in `detectors`.
FaceBatch faces_of(const cv::Mat& bgr, const Detectors& detectors, const FaceOptions& options,
                   const ModelSpec& spec);

struct FaceResult {
  Box box;
  std::vector<float> probabilities;  // one per class, in the model's class order
  Prediction prediction;
  // SHA-256 of the face's float32 model input (little-endian bytes): the
  // browser hashes its tensor the same way to prove the two cores agree.
  std::string input_sha256;
};

struct PhotoResult {
  std::string file;
  int width = 0;  // of the decoded photo, after EXIF orientation
  int height = 0;
  std::vector<FaceResult> faces;
  std::string error;  // non-empty when the file could not be used
};

std::vector<FaceResult> classify_faces(OnnxModel& model, const FaceBatch& batch);

// Reads, decodes, finds faces and classifies; errors land in `error`, so one
// bad file does not stop a run. `photo` receives the decoded image (for
// --annotate) when given.
PhotoResult classify_photo(OnnxModel& model, const Detectors& detectors, const FaceOptions& options,
                           const std::string& path, std::uint64_t max_pixels,
                           cv::Mat* photo = nullptr);

// "female 99.73%": the class and its probability in percent, two decimals
// (the seed's lines; the core's format_label keeps one).
std::string percent_label(std::string_view class_name, float probability);

// One JSON Lines object, keys in this order: {"file", "width", "height",
// "faces": [{"number" (1-based: the number --annotate draws on the face),
// "box": [x,y,w,h], "label", "class", "confidence",
// "probabilities": {class: p}, "input_sha256" (with_input_hashes)}]}, or
// {"file", "error"}.
nlohmann::ordered_json to_json(const PhotoResult& result,
                               const std::vector<std::string>& class_names,
                               bool with_input_hashes = false);
// The human-readable lines for one photo (without a trailing newline).
std::string to_text(const PhotoResult& result);

// The labels annotate draws on `bgr`: "N female 99.73%", N the face's
// 1-based place in `faces` (to_json's "number"), each inside the picture and
// off the others where room allows (place_labels, at the drawing's font size).
std::vector<PlacedLabel> annotation_labels(const cv::Mat& bgr,
                                           const std::vector<FaceResult>& faces);

// The photo with every face's box, then every face's label (annotation_labels).
cv::Mat annotate(const cv::Mat& bgr, const std::vector<FaceResult>& faces);

}  // namespace facegender::classify
