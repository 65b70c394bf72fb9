// `facegender classify`: photos -> faces -> labels, with an exported ONNX model
// run by OpenCV DNN. The core does everything between pixels and the model
// (gray, detection, crop, tensor), exactly as the browser does.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>

#include "classify/classify.hpp"
#include "classify/label_layout.hpp"
#include "classify/onnx_model.hpp"
#include "commands.hpp"
#include "common/files.hpp"
#include "common/json_text.hpp"
#include "facegender/preprocess.hpp"
#include "prepare/image_probe.hpp"
#include "prepare/sha256.hpp"
#include "prepare/skip.hpp"

namespace facegender::classify {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

// The encoded file may hold metadata and, for BMP or PNM, raw pixels: allow
// 4 bytes per permitted pixel plus room for metadata before even reading it.
std::uint64_t max_file_bytes(std::uint64_t max_pixels) {
  constexpr std::uint64_t kMetadata = std::uint64_t{16} << 20;
  constexpr std::uint64_t kLargest = std::numeric_limits<std::uint64_t>::max();
  return max_pixels > (kLargest - kMetadata) / 4 ? kLargest : max_pixels * 4 + kMetadata;
}

std::string read_photo_bytes(const std::string& path, std::uint64_t max_pixels) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) throw std::runtime_error(path + ": no such file");
  if (fs::is_directory(status)) throw std::runtime_error(path + ": is a directory, not a photo");
  // Devices and FIFOs are refused before anything is read (read_file checks
  // again on the open file).
  if (!fs::is_regular_file(status)) {
    throw std::runtime_error(path + ": not a regular file (a device, FIFO or socket), not a photo");
  }
  const std::uintmax_t size = fs::file_size(path, error);
  if (!error && size > max_file_bytes(max_pixels)) {
    throw std::runtime_error(path + ": " + std::to_string(size) +
                             " bytes is too large a file for --max-pixels " +
                             std::to_string(max_pixels));
  }
  return read_file(path, max_file_bytes(max_pixels));
}

// Shortest decimal that reads back as the same float, so JSON shows 0.9973,
// not the float's double expansion 0.99730002880096436.
double json_number(float value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  if (ec != std::errc()) return static_cast<double>(value);
  return std::strtod(std::string(text, end).c_str(), nullptr);
}

std::string box_text(const Box& box) {
  return "[" + std::to_string(box.x) + ", " + std::to_string(box.y) + ", " +
         std::to_string(box.width) + ", " + std::to_string(box.height) + "]";
}

// The whole photo as the model input: resize to the crop size (aspect not
// kept, as the seed did), then the centre input x input.
FaceBatch whole_image_batch(const Image& gray, const ModelSpec& spec) {
  validate(spec.crop);
  const Image resized = resize(gray.view(), spec.crop.size, spec.crop.size);
  const Image input = center_crop(resized.view(), spec.crop.input);
  FaceBatch batch;
  batch.input = spec.crop.input;
  batch.boxes = {Box{0, 0, gray.width(), gray.height()}};
  batch.tensor = to_tensor(input.view(), spec.normalization);
  return batch;
}

std::string input_sha256(std::span<const float> input) {
  static_assert(std::endian::native == std::endian::little, "hashes little-endian floats");
  return prepare::sha256_hex(
      std::span(reinterpret_cast<const std::uint8_t*>(input.data()), input.size_bytes()));
}

ImageView bgr_view(const cv::Mat& bgr) {
  if (bgr.type() != CV_8UC3 || !bgr.isContinuous()) {
    throw std::invalid_argument("expected a continuous 8-bit BGR image");
  }
  return ImageView(std::span<const std::uint8_t>(bgr.data, bgr.total() * bgr.elemSize()), bgr.cols,
                   bgr.rows, PixelFormat::BGR8);
}

}  // namespace

FaceSearch FaceOptions::default_search() {
  FaceSearch search;
  search.detect.scale_factor = 1.1;
  search.detect.min_neighbors = 5;
  search.detect.min_size = 0;
  search.pad_fraction = 0.0;
  search.max_side = 1024;
  return search;
}

cv::Mat decode_photo(const std::string& bytes, const std::string& path, std::uint64_t max_pixels) {
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                           bytes.size());
  prepare::ImageHeader header;
  try {
    header = prepare::probe_image(data, max_pixels);
  } catch (const prepare::SkipImage& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  const std::string format = prepare::to_string(header.format);
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error(path + ": a " + format + " file over 2 GiB");
  }
  cv::Mat image;
  try {
    // IMREAD_COLOR applies the EXIF orientation and gives 8-bit BGR for any
    // source (gray, alpha, 16-bit); the core's to_gray then matches training.
    const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8U,
                          const_cast<char*>(bytes.data()));
    image = cv::imdecode(encoded, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw std::runtime_error(path + ": OpenCV cannot decode this " + format + ": " + e.err);
  }
  if (image.empty()) {
    throw std::runtime_error(path + ": OpenCV cannot decode this " + format +
                             " (corrupt or truncated)");
  }
  // The header could have under-stated the size.
  if (image.total() > max_pixels) {
    throw std::runtime_error(path + ": decodes to " + std::to_string(image.cols) + "x" +
                             std::to_string(image.rows) + ", over --max-pixels " +
                             std::to_string(max_pixels));
  }
  return image;
}

cv::Mat read_photo(const std::string& path, std::uint64_t max_pixels) {
  return decode_photo(read_photo_bytes(path, max_pixels), path, max_pixels);
}

bool has_image_extension(const fs::path& path) {
  static const std::set<std::string> extensions = {".jpg", ".jpeg", ".jpe", ".png",  ".bmp",
                                                   ".dib", ".webp", ".tif", ".tiff", ".pbm",
                                                   ".pgm", ".ppm",  ".pnm"};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extensions.contains(extension);
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (!fs::is_directory(path, error)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const fs::directory_entry& entry :
         fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied)) {
      if (entry.is_regular_file(error) && has_image_extension(entry.path())) {
        found.push_back(entry.path().string());
      }
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Cascade load_face_cascade(const std::string& cascade_dir) {
  const std::string path = (fs::path(cascade_dir) / kFaceCascade).string();
  if (!fs::exists(path)) {
    throw std::runtime_error(path +
                             ": face cascade not found (--cascades DIR: the folder of cascade JSON "
                             "files the build makes, e.g. build/native/cascades)");
  }
  try {
    return Cascade::from_file(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

FaceFinder load_face_finder(const std::string& detector_dir) {
  const std::string short_range =
      (fs::path(detector_dir) / "face_detection_short_range.fgnet").string();
  const std::string full_range =
      (fs::path(detector_dir) / "face_detection_full_range.fgnet").string();
  for (const std::string& path : {short_range, full_range}) {
    if (!fs::exists(path)) {
      throw std::runtime_error(path +
                               ": BlazeFace network not found (--detectors DIR: the folder "
                               "of .fgnet files the build makes, e.g. build/native/detectors)");
    }
  }
  return FaceFinder(BlazeFace(InferenceNetwork::from_file(short_range), BlazeFaceModel::ShortRange),
                    BlazeFace(InferenceNetwork::from_file(full_range), BlazeFaceModel::FullRange));
}

std::string detector_for(const FaceOptions& options, const ModelSpec& spec) {
  return options.detector == "auto" ? spec.detector : options.detector;
}

Detectors load_detectors(const FaceOptions& options, const ModelSpec& spec,
                         const std::string& cascade_dir, const std::string& detector_dir) {
  Detectors detectors;
  if (options.whole_image) return detectors;
  if (detector_for(options, spec) == "blazeface") {
    detectors.blazeface = load_face_finder(detector_dir);
  } else {
    detectors.haar = load_face_cascade(cascade_dir);
  }
  return detectors;
}

FaceBatch faces_of(const cv::Mat& bgr, const Detectors& detectors, const FaceOptions& options,
                   const ModelSpec& spec) {
  const ImageView view = bgr_view(bgr);
  if (options.whole_image) return whole_image_batch(to_gray(view), spec);
  if (detector_for(options, spec) == "blazeface") {
    if (!detectors.blazeface) throw std::invalid_argument("faces_of: BlazeFace is not loaded");
    return prepare_faces(*detectors.blazeface, view, scene_settings(options.scene), spec.crop_spec,
                         spec.normalization);
  }
  if (!detectors.haar) throw std::invalid_argument("faces_of: no cascade and not whole_image");
  return prepare_faces(*detectors.haar, view, options.search, spec.crop, spec.normalization);
}

std::vector<FaceResult> classify_faces(OnnxModel& model, const FaceBatch& batch) {
  std::vector<FaceResult> faces;
  if (batch.boxes.empty()) return faces;
  const std::vector<std::vector<float>> probabilities =
      model.classify(batch.tensor, static_cast<int>(batch.boxes.size()));
  const std::size_t plane = static_cast<std::size_t>(batch.input) * batch.input;
  for (std::size_t i = 0; i < batch.boxes.size(); ++i) {
    FaceResult face{batch.boxes[i], probabilities[i],
                    predict(probabilities[i], model.spec().class_names),
                    input_sha256(std::span(batch.tensor).subspan(i * plane, plane))};
    face.prediction.label = percent_label(face.prediction.class_name, face.prediction.confidence);
    faces.push_back(std::move(face));
  }
  return faces;
}

PhotoResult classify_photo(OnnxModel& model, const Detectors& detectors, const FaceOptions& options,
                           const std::string& path, std::uint64_t max_pixels, cv::Mat* photo) {
  PhotoResult result;
  result.file = path;
  try {
    cv::Mat bgr = read_photo(path, max_pixels);
    result.width = bgr.cols;
    result.height = bgr.rows;
    result.faces = classify_faces(model, faces_of(bgr, detectors, options, model.spec()));
    if (photo != nullptr) *photo = std::move(bgr);
  } catch (const std::exception& e) {
    // The core's InputError and OpenCV's messages do not name the file.
    const std::string message = e.what();
    result.error = message.starts_with(path) ? message : path + ": " + message;
    result.faces.clear();
  }
  return result;
}

std::string percent_label(std::string_view class_name, float probability) {
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.2f%%", static_cast<double>(probability) * 100.0);
  return std::string(class_name) + " " + percent;
}

std::string hex_bytes(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char c : bytes) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  return hex;
}

ordered_json to_json(const PhotoResult& result, const std::vector<std::string>& class_names,
                     bool with_input_hashes) {
  ordered_json line = {{"file", result.file}};
  // A name that is not UTF-8 prints with U+FFFD; its bytes say which file it was.
  if (!is_utf8(result.file)) line["file_hex"] = hex_bytes(result.file);
  if (!result.error.empty()) {
    line["error"] = result.error;
    return line;
  }
  line["width"] = result.width;
  line["height"] = result.height;
  ordered_json faces = ordered_json::array();
  for (const FaceResult& face : result.faces) {
    ordered_json probabilities = ordered_json::object();
    for (std::size_t c = 0; c < class_names.size() && c < face.probabilities.size(); ++c) {
      probabilities[class_names[c]] = json_number(face.probabilities[c]);
    }
    faces.push_back({{"number", faces.size() + 1},
                     {"box", {face.box.x, face.box.y, face.box.width, face.box.height}},
                     {"label", face.prediction.label},
                     {"class", face.prediction.class_name},
                     {"confidence", json_number(face.prediction.confidence)},
                     {"probabilities", probabilities}});
    if (with_input_hashes) faces.back()["input_sha256"] = face.input_sha256;
  }
  line["faces"] = faces;
  return line;
}

std::string to_text(const PhotoResult& result) {
  if (!result.error.empty()) return "error: " + result.error;
  std::string text = result.file + ": " + std::to_string(result.width) + "x" +
                     std::to_string(result.height) + ", ";
  if (result.faces.empty()) return text + "no face found";
  text += std::to_string(result.faces.size()) + (result.faces.size() == 1 ? " face" : " faces");
  for (std::size_t i = 0; i < result.faces.size(); ++i) {
    text += "\n  face " + std::to_string(i + 1) + " " + box_text(result.faces[i].box) + ": " +
            result.faces[i].prediction.label;
  }
  return text;
}

namespace {

// Lines and text grow with the picture, so a label stays readable on a big photo.
struct AnnotationStyle {
  int thickness = 1;
  double font_scale = 0.4;
  int pad = 2;  // between a label's text and its background's edges
};

AnnotationStyle annotation_style(const cv::Mat& bgr) {
  const int longer = std::max(bgr.cols, bgr.rows);
  const int thickness = std::max(1, longer / 400);
  // One pixel over the line width, so anti-aliased glyph edges stay on the
  // background and a label inside the picture is never cut off.
  return {thickness, std::max(0.4, longer / 1200.0), thickness + 1};
}

struct TextMetrics {
  cv::Size size;
  int baseline = 0;
};

TextMetrics text_metrics(std::string_view text, const AnnotationStyle& style) {
  TextMetrics metrics;
  metrics.size = cv::getTextSize(std::string(text), cv::FONT_HERSHEY_SIMPLEX, style.font_scale,
                                 style.thickness, &metrics.baseline);
  return metrics;
}

cv::Scalar color_of(const FaceResult& face) {
  static const cv::Scalar palette[] = {
      {60, 170, 255}, {255, 140, 40}, {80, 200, 80}, {200, 80, 200}};
  return palette[static_cast<std::size_t>(std::max(0, face.prediction.class_index)) %
                 std::size(palette)];
}

}  // namespace

std::vector<PlacedLabel> annotation_labels(const cv::Mat& bgr,
                                           const std::vector<FaceResult>& faces) {
  const AnnotationStyle style = annotation_style(bgr);
  // Hershey text is as tall whatever it says, so one height serves every label.
  const TextMetrics digits = text_metrics("0", style);
  LabelCanvas canvas;
  canvas.width = bgr.cols;
  canvas.height = bgr.rows;
  canvas.label_height = digits.size.height + digits.baseline + 2 * style.pad;
  canvas.measure = [&style](std::string_view text) {
    return text_metrics(text, style).size.width + 2 * style.pad;
  };
  std::vector<FaceLabel> labelled;
  for (const FaceResult& face : faces) labelled.push_back({face.box, face.prediction.label});
  return place_labels(labelled, canvas);
}

cv::Mat annotate(const cv::Mat& bgr, const std::vector<FaceResult>& faces) {
  const AnnotationStyle style = annotation_style(bgr);
  cv::Mat out = bgr.clone();
  // Every box before any label, so no box line crosses a label.
  for (const FaceResult& face : faces) {
    const cv::Rect box(face.box.x, face.box.y, face.box.width, face.box.height);
    cv::rectangle(out, box, color_of(face), style.thickness);
  }
  const std::vector<PlacedLabel> labels = annotation_labels(bgr, faces);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Box& rect = labels[i].rect;
    cv::rectangle(out, cv::Rect(rect.x, rect.y, rect.width, rect.height), color_of(faces[i]),
                  cv::FILLED);
    const TextMetrics text = text_metrics(labels[i].text, style);
    cv::putText(out, labels[i].text, {rect.x + style.pad, rect.y + style.pad + text.size.height},
                cv::FONT_HERSHEY_SIMPLEX, style.font_scale, cv::Scalar(255, 255, 255),
                style.thickness, cv::LINE_AA);
  }
  return out;
}

namespace {

struct ClassifyArgs {
  std::vector<std::string> inputs;
  std::string model = FACEGENDER_DEFAULT_MODEL;
  std::string cascades = FACEGENDER_DEFAULT_CASCADE_DIR;
  std::string detectors = FACEGENDER_DEFAULT_DETECTOR_DIR;
  std::string scene = "photo";
  FaceOptions faces;
  std::uint64_t max_pixels = kDefaultMaxPixels;
  std::string annotate;
  bool json = false;
  bool input_hashes = false;
};

OnnxModel load_model(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    throw std::runtime_error(path +
                             ": no model there yet. Train one (facegender train) and export it "
                             "(facegender export RUN_DIR --out " +
                             path + "), or pass --model FILE.onnx");
  }
  return OnnxModel::load(path);
}

// The same file under another spelling (./a.jpg, a link) counts as the same.
std::string identity_of(const std::string& path) {
  std::error_code error;
  const fs::path canonical = fs::weakly_canonical(path, error);
  return error ? fs::absolute(path).lexically_normal().string() : canonical.string();
}

// Where --annotate puts each photo's drawing: the given file for a single
// photo, else <folder>/<stem>.png (numbered when stems repeat). Planned for
// every photo before any is read, so a drawing that would replace an input
// is refused before anything is written.
class AnnotationTargets {
 public:
  AnnotationTargets(const std::string& target, const std::vector<std::string>& photos) {
    if (target.empty()) return;
    std::error_code error;
    const bool single_file =
        photos.size() == 1 && has_image_extension(target) && !fs::is_directory(target, error);
    if (!single_file && has_image_extension(target)) {
      throw std::runtime_error("--annotate " + target +
                               ": with several photos, give a folder for the drawings");
    }
    std::set<std::string> used;
    for (const std::string& photo : photos) {
      if (single_file) {
        paths_.push_back(target);
        continue;
      }
      const std::string stem = fs::path(photo).stem().string();
      std::string name = stem + ".png";
      for (int n = 2; !used.insert(name).second; ++n)
        name = stem + "-" + std::to_string(n) + ".png";
      paths_.push_back((fs::path(target) / name).string());
    }
    refuse_overwriting_inputs(target, photos);
    if (!single_file) fs::create_directories(target);
  }

  const std::string& at(std::size_t photo) const { return paths_.at(photo); }

 private:
  void refuse_overwriting_inputs(const std::string& target,
                                 const std::vector<std::string>& photos) {
    std::map<std::string, std::string> inputs;
    for (const std::string& photo : photos) inputs.emplace(identity_of(photo), photo);
    for (const std::string& path : paths_) {
      const auto input = inputs.find(identity_of(path));
      if (input != inputs.end()) {
        throw std::runtime_error("--annotate " + target + ": its drawing " + path +
                                 " would replace the input photo " + input->second +
                                 "; give a file or folder that is not among the inputs");
      }
    }
  }

  std::vector<std::string> paths_;
};

void write_annotation(const cv::Mat& drawing, const std::string& path) {
  std::vector<std::uint8_t> encoded;
  if (!cv::imencode(fs::path(path).extension().string(), drawing, encoded)) {
    throw std::runtime_error(path + ": OpenCV cannot encode the drawing in this format");
  }
  write_file_atomically(path, std::string(encoded.begin(), encoded.end()));
}

void run_classify(ClassifyArgs& args) {
  OnnxModel model = load_model(args.model);
  args.faces.scene = parse_scene(args.scene);
  const Detectors detectors =
      load_detectors(args.faces, model.spec(), args.cascades, args.detectors);
  const std::vector<std::string> files = expand_inputs(args.inputs);
  if (files.empty()) throw std::runtime_error("no photos found in the given folders");
  const AnnotationTargets targets(args.annotate, files);

  std::size_t failed = 0;
  for (std::size_t index = 0; index < files.size(); ++index) {
    const std::string& file = files[index];
    cv::Mat photo;
    PhotoResult result = classify_photo(model, detectors, args.faces, file, args.max_pixels,
                                        args.annotate.empty() ? nullptr : &photo);
    if (result.error.empty() && !args.annotate.empty()) {
      try {
        write_annotation(annotate(photo, result.faces), targets.at(index));
      } catch (const std::exception& e) {
        result.error = e.what();
      }
    }
    if (!result.error.empty()) ++failed;
    if (args.json) {
      std::cout << json_text(to_json(result, model.spec().class_names, args.input_hashes)) << '\n'
                << std::flush;
    } else if (result.error.empty()) {
      std::cout << to_text(result) << '\n' << std::flush;
    } else {
      std::cerr << to_text(result) << '\n';
    }
  }
  if (failed > 0) {
    throw std::runtime_error(std::to_string(failed) + " of " + std::to_string(files.size()) +
                             (files.size() == 1 ? " file" : " files") + " could not be classified");
  }
}

}  // namespace
}  // namespace facegender::classify

namespace facegender::cli {

void add_classify(CLI::App& app) {
  auto args = std::make_shared<classify::ClassifyArgs>();
  CLI::App* command = app.add_subcommand(
      "classify", "Find the faces in photos and label each with an exported ONNX model");
  command->add_option("photos", args->inputs, "Photos, or folders of photos (walked, sorted)")
      ->required();
  command->add_option("--model", args->model, "The exported model (ONNX)")->capture_default_str();
  command->add_option("--cascades", args->cascades, "Folder of the core's cascade JSON files")
      ->capture_default_str();
  command
      ->add_option("--detector", args->faces.detector,
                   "auto (the one the model was trained with, from its metadata), haar or "
                   "blazeface")
      ->check(CLI::IsMember({"auto", "haar", "blazeface"}))
      ->capture_default_str();
  command->add_option("--detectors", args->detectors, "Folder of the BlazeFace .fgnet files")
      ->capture_default_str();
  command
      ->add_option("--scene", args->scene,
                   "BlazeFace preset: photo, webcam (near faces only) or chip (one tight face)")
      ->check(CLI::IsMember({"photo", "webcam", "chip"}))
      ->capture_default_str();
  FaceSearch& search = args->faces.search;
  command
      ->add_option("--pad", search.pad_fraction,
                   "Pad each side by this fraction before detecting (tight face crops)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--max-side", search.max_side, "Detect on a copy at most this long (0: full)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--min-size", search.detect.min_size,
                   "Smallest face side searched, in detection pixels (0: the cascade's)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--scale-factor", search.detect.scale_factor, "Detection scale step")
      ->capture_default_str()
      ->check(CLI::Range(1.01, 2.0));
  command
      ->add_option("--min-neighbors", search.detect.min_neighbors,
                   "Detections a face needs (more: fewer false faces)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  command
      ->add_option("--max-pixels", args->max_pixels,
                   "Refuse photos with more pixels than this (checked before decoding)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_flag("--whole-image", args->faces.whole_image,
                    "Classify each whole photo as one face (no detection)");
  command->add_option("--annotate", args->annotate,
                      "Draw boxes and labels: an image file for one photo, else a folder");
  command->add_flag("--json", args->json, "JSON Lines: one object per photo");
  command->add_flag("--input-hashes", args->input_hashes,
                    "With --json: each face's input_sha256, the SHA-256 of its float32 model "
                    "input (to compare with the browser's)");
  command->callback([args] { classify::run_classify(*args); });
}

}  // namespace facegender::cli
