// Writes the native side of the WebAssembly parity test: inputs, and what the
// native core returns for them, for parity.mjs to replay through the embind
// API of the WASM build (which must return the very same bytes and boxes).
//
//   make_parity_vectors OUT_DIR CASCADE_DIR PHOTO_DIR DETECTOR_DIR
//
// OUT_DIR/manifest.json lists the cascades, the input images (raw files in
// OUT_DIR/images/) and the vectors: {id, op, arguments..., expect}, where
// expect holds the result (inline JSON, or a raw file in OUT_DIR/data/) or
// {"error": {"name", "message"}} when the native core threw.
//
// Inputs: random Gray/RGB/BGR/RGBA images of odd sizes (fixed seeds, std::mt19937
// words, so the same on every platform), every *.jpg in PHOTO_DIR (decoded
// with OpenCV), and a few deliberately invalid arguments.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "facegender/align.hpp"
#include "facegender/blazeface.hpp"
#include "facegender/dataset.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/image.hpp"
#include "facegender/pipeline.hpp"
#include "facegender/pose.hpp"
#include "facegender/postprocess.hpp"
#include "facegender/preprocess.hpp"
#include "facegender/track.hpp"

namespace fs = std::filesystem;
namespace fg = facegender;
using json = nlohmann::ordered_json;

namespace {

const char* format_name(fg::PixelFormat f) {
  switch (f) {
    case fg::PixelFormat::Gray8:
      return "gray";
    case fg::PixelFormat::RGB8:
      return "rgb";
    case fg::PixelFormat::BGR8:
      return "bgr";
    case fg::PixelFormat::RGBA8:
      return "rgba";
  }
  return "?";
}

void write_file(const fs::path& path, const void* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// An input image: its bytes (possibly shorter or longer than the declared
// size, for the error vectors) and the declared geometry.
struct Input {
  std::string name;
  std::vector<std::uint8_t> bytes;
  int width = 0;
  int height = 0;
  fg::PixelFormat format = fg::PixelFormat::Gray8;

  fg::ImageView view() const {
    return fg::ImageView(std::span<const std::uint8_t>(bytes.data(), bytes.size()), width, height,
                         format);
  }
};

Input from_image(std::string name, const fg::Image& image) {
  Input in;
  in.name = std::move(name);
  in.bytes.assign(image.pixels().begin(), image.pixels().end());
  in.width = image.width();
  in.height = image.height();
  in.format = image.format();
  return in;
}

json box_json(const fg::Box& b) {
  return {{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}};
}

json boxes_json(const std::vector<fg::Box>& boxes) {
  json a = json::array();
  for (const fg::Box& b : boxes) a.push_back(box_json(b));
  return a;
}

json params_json(const fg::DetectParams& p) {
  return {{"scaleFactor", p.scale_factor},
          {"minNeighbors", p.min_neighbors},
          {"minSize", p.min_size},
          {"maxSize", p.max_size}};
}

json search_json(const fg::FaceSearch& s) {
  json j = params_json(s.detect);
  j["padFraction"] = s.pad_fraction;
  j["maxSide"] = s.max_side;
  return j;
}

json geometry_json(const fg::CropGeometry& g) {
  return {{"margin", g.margin}, {"size", g.size}, {"input", g.input}};
}

json normalization_json(const fg::Normalization& n) {
  return {{"mean", static_cast<double>(n.mean)}, {"std", static_cast<double>(n.std)}};
}

class Vectors {
 public:
  explicit Vectors(fs::path dir) : dir_(std::move(dir)) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "images");
    fs::create_directories(dir_ / "data");
    manifest_["format"] = 1;
    manifest_["coreVersion"] = std::string(fg::core_version());
    manifest_["cascades"] = json::object();
    manifest_["images"] = json::object();
    manifest_["vectors"] = json::array();
  }

  void cascade(const std::string& name, const fs::path& path) {
    manifest_["cascades"][name] = path.string();
  }

  void detectors(const std::string& short_range, const std::string& full_range) {
    manifest_["detectors"] = {{"shortRange", short_range}, {"fullRange", full_range}};
  }

  // Registers an input image once; returns its name.
  const std::string& image(const Input& in) {
    if (!manifest_["images"].contains(in.name)) {
      const std::string file = "images/" + std::to_string(images_++) + ".bin";
      write_file(dir_ / file, in.bytes.data(), in.bytes.size());
      manifest_["images"][in.name] = {{"file", file},
                                      {"width", in.width},
                                      {"height", in.height},
                                      {"format", format_name(in.format)}};
    }
    return in.name;
  }

  json u8(std::span<const std::uint8_t> bytes) { return data(bytes.data(), bytes.size(), "u8"); }
  json f32(std::span<const float> values) {
    return data(values.data(), values.size_bytes(), "f32");
  }

  // Runs `native`, storing its result or the exception it threw as the
  // vector's expectation.
  void add(json vector, const std::function<json()>& native) {
    json expect;
    try {
      expect = native();
    } catch (const fg::InputError& e) {
      expect = {{"error", {{"name", "InputError"}, {"message", e.what()}}}};
    } catch (const std::exception& e) {
      // The core promises InputError for bad input; anything else is worth a
      // look, but the WASM build must still agree.
      std::cerr << "make_parity_vectors: note: " << vector.value("op", "?")
                << " threw a non-InputError: " << e.what() << "\n";
      expect = {{"error", {{"name", "Error"}, {"message", e.what()}}}};
    }
    const std::string op = vector.at("op").get<std::string>();
    const int n = ++per_op_[op];
    json v;
    v["id"] = op + "#" + std::to_string(n);
    for (auto& [k, val] : vector.items()) v[k] = val;
    v["expect"] = std::move(expect);
    manifest_["vectors"].push_back(std::move(v));
  }

  void finish() {
    std::ofstream out(dir_ / "manifest.json");
    out << manifest_.dump(1) << "\n";
    if (!out) throw std::runtime_error("cannot write manifest.json");
    std::size_t errors = 0;
    for (const json& v : manifest_["vectors"]) errors += v["expect"].contains("error") ? 1 : 0;
    std::cout << "make_parity_vectors: " << manifest_["vectors"].size() << " vectors (" << errors
              << " expect an error), " << manifest_["images"].size() << " input images -> "
              << dir_.string() << "\n";
    for (const auto& [op, n] : per_op_) std::cout << "  " << op << ": " << n << "\n";
  }

 private:
  json data(const void* p, std::size_t size, const char* type) {
    const std::string file = "data/" + std::to_string(data_++) + "." + type;
    write_file(dir_ / file, p, size);
    return {{"file", file}, {"type", type}, {"bytes", size}};
  }

  fs::path dir_;
  json manifest_;
  int images_ = 0;
  int data_ = 0;
  std::map<std::string, int> per_op_;
};

// Random pixels from raw mt19937 words (distributions are implementation-defined).
Input random_image(int width, int height, fg::PixelFormat format, std::uint32_t seed) {
  Input in;
  in.width = width;
  in.height = height;
  in.format = format;
  in.name = std::string("random-") + format_name(format) + "-" + std::to_string(width) + "x" +
            std::to_string(height) + "-s" + std::to_string(seed);
  std::mt19937 rng(seed);
  in.bytes.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                  static_cast<std::size_t>(fg::channels(format)));
  for (std::uint8_t& b : in.bytes) b = static_cast<std::uint8_t>(rng() >> 24);
  return in;
}

// Smooth structure plus noise: exercises rounding in resize better than noise alone.
Input textured_gray(int width, int height, std::uint32_t seed) {
  Input in = random_image(width, height, fg::PixelFormat::Gray8, seed);
  in.name = "textured-gray-" + std::to_string(width) + "x" + std::to_string(height) + "-s" +
            std::to_string(seed);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t& p = in.bytes[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                 static_cast<std::size_t>(x)];
      const int smooth = (x * 255) / std::max(1, width - 1) / 2 + ((y * 7) % 128);
      p = static_cast<std::uint8_t>(std::clamp(smooth + (p % 32) - 16, 0, 255));
    }
  }
  return in;
}

struct Photo {
  std::string name;
  Input bgr;
  Input rgba;
  Input gray;
};

std::vector<Photo> load_photos(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::is_directory(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg")) files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    throw std::runtime_error("no *.jpg test photos in " + dir.string() +
                             ": fetch them first with scripts/fetch-test-photos.sh");
  }
  std::vector<Photo> photos;
  for (const fs::path& file : files) {
    const cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (bgr.empty() || bgr.type() != CV_8UC3)
      throw std::runtime_error("cannot decode " + file.string());
    Photo p;
    p.name = file.filename().string();
    p.bgr.name = "photo-bgr-" + p.name;
    p.bgr.width = bgr.cols;
    p.bgr.height = bgr.rows;
    p.bgr.format = fg::PixelFormat::BGR8;
    p.rgba = p.bgr;
    p.rgba.name = "photo-rgba-" + p.name;
    p.rgba.format = fg::PixelFormat::RGBA8;
    p.bgr.bytes.clear();
    p.rgba.bytes.clear();
    for (int y = 0; y < bgr.rows; ++y) {
      const std::uint8_t* row = bgr.ptr<std::uint8_t>(y);
      for (int x = 0; x < bgr.cols; ++x) {
        const std::uint8_t b = row[3 * x], g = row[3 * x + 1], r = row[3 * x + 2];
        p.bgr.bytes.insert(p.bgr.bytes.end(), {b, g, r});
        // Alpha varies: gray conversion must ignore it.
        p.rgba.bytes.insert(p.rgba.bytes.end(),
                            {r, g, b, static_cast<std::uint8_t>(255 - ((x + y) & 63))});
      }
    }
    p.gray = from_image("photo-gray-" + p.name, fg::to_gray(p.bgr.view()));
    photos.push_back(std::move(p));
  }
  return photos;
}

int at_least_1(int v) {
  return std::max(1, v);
}

// Boxes around/inside a W x H image: inside, partly outside on each side,
// larger than the image, tiny, outside, empty.
std::vector<fg::Box> test_boxes(int w, int h) {
  return {
      {w / 4, h / 4, at_least_1(w / 2), at_least_1(h / 2)},
      {-w / 5 - 1, -h / 6 - 1, at_least_1(w / 2), at_least_1(h / 3)},
      {w * 3 / 4, h * 2 / 3, at_least_1(w / 2), at_least_1(h / 2)},
      {-w / 3, -h / 3, w * 5 / 3 + 1, h * 5 / 3 + 1},
      {w / 2, h / 2, 1, 1},
      {w / 8, h / 3, at_least_1(w * 3 / 4), at_least_1(h / 5)},
      {w + 10, h + 10, 20, 20},
      {0, 0, 0, 5},
  };
}

const std::vector<fg::CropGeometry> kGeometries = {{0.2, 100, 80}, {0.0, 48, 48}, {0.37, 57, 41}};
const std::vector<fg::Normalization> kNormalizations = {
    {0.0f, 1.0f}, {0.5f, 0.5f}, {0.485f, 0.229f}};

struct Cascades {
  std::map<std::string, fg::Cascade> by_name;
  const fg::Cascade& operator[](const std::string& name) const { return by_name.at(name); }
};

// Resize, crops and tensors of one gray image. `full` runs every case;
// otherwise a subset (the photos: real content, but big outputs).
void gray_ops(Vectors& v, const Input& gray, bool full, bool tensors) {
  const std::string& name = v.image(gray);
  const int w = gray.width, h = gray.height;
  const bool small = static_cast<long>(w) * h <= 400 * 1000;

  // Resize: down (both area-able), up, mixed, to 1x1, same size.
  std::vector<std::pair<int, int>> sizes = {{at_least_1(w / 2), at_least_1(h / 2)},
                                            {at_least_1(w * 2 / 3), at_least_1(h * 3 / 7)}};
  if (full) {
    sizes.push_back({1, 1});
    sizes.push_back({at_least_1(w / 3), small ? h * 2 + 1 : h + 7});
    if (small) sizes.push_back({w * 2 + 1, h * 3 / 2 + 1});
    sizes.push_back({w, h});
  }
  using ResizeFn = fg::Image (*)(const fg::ImageView&, int, int);
  const std::vector<std::pair<const char*, ResizeFn>> fns = {
      {"resize", &fg::resize},
      {"resizeArea", &fg::resize_area},
      {"resizeBilinear", &fg::resize_bilinear}};
  for (const auto& [fn_name, fn] : fns) {
    for (const auto& [nw, nh] : sizes) {
      v.add(
          {{"op", "resize"}, {"fn", fn_name}, {"image", name}, {"newWidth", nw}, {"newHeight", nh}},
          [&, fn = fn, nw = nw, nh = nh] {
            return json{{"pixels", v.u8(fn(gray.view(), nw, nh).pixels())}};
          });
    }
  }

  // Crops.
  const std::vector<fg::Box> boxes = test_boxes(w, h);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const fg::Box box = boxes[i];
    for (double margin : {0.0, 0.2, 0.5}) {
      if (!full && margin != 0.2) continue;
      // Keep the outputs small: no squares of many megapixels.
      if (std::max(box.width, box.height) * (1.0 + 2.0 * margin) > 1200.0) continue;
      v.add({{"op", "squareCrop"}, {"image", name}, {"box", box_json(box)}, {"margin", margin}},
            [&, box, margin] {
              const fg::Image out = fg::square_crop(gray.view(), box, margin);
              return json{
                  {"width", out.width()}, {"height", out.height()}, {"pixels", v.u8(out.pixels())}};
            });
    }
    for (std::size_t g = 0; g < kGeometries.size(); ++g) {
      if ((i >= 4 || !full) && g > 0) break;
      const fg::CropGeometry geometry = kGeometries[g];
      v.add({{"op", "cropFace"},
             {"image", name},
             {"box", box_json(box)},
             {"geometry", geometry_json(geometry)}},
            [&, box, geometry] {
              return json{{"pixels", v.u8(fg::crop_face(gray.view(), box, geometry).pixels())}};
            });
    }
  }
  // Model input larger than the crop: an InputError.
  v.add(
      {{"op", "cropFace"},
       {"image", name},
       {"box", box_json(boxes[0])},
       {"geometry", geometry_json({0.2, 64, 80})}},
      [&] {
        return json{{"pixels", v.u8(fg::crop_face(gray.view(), boxes[0], {0.2, 64, 80}).pixels())}};
      });

  const int m = std::min(w, h);
  for (int size : {m / 2 | 1, m, 1, m - 1, m + 1}) {
    if (size <= 0 || (!full && size != m && size != (m / 2 | 1))) continue;
    v.add({{"op", "centerCrop"}, {"image", name}, {"size", size}}, [&, size] {
      return json{{"pixels", v.u8(fg::center_crop(gray.view(), size).pixels())}};
    });
  }

  if (tensors) {
    for (const fg::Normalization& n : kNormalizations) {
      v.add({{"op", "toTensor"}, {"image", name}, {"normalization", normalization_json(n)}},
            [&, n] {
              return json{{"tensor", v.f32(fg::to_tensor(gray.view(), n))}};
            });
    }
  }
}

void detect_ops(Vectors& v, const Cascades& cascades, const std::string& cascade, const Input& gray,
                const fg::DetectParams& params, bool candidates) {
  const std::string& name = v.image(gray);
  v.add({{"op", "detect"}, {"cascade", cascade}, {"image", name}, {"params", params_json(params)}},
        [&] {
          return json{{"boxes", boxes_json(cascades[cascade].detect(gray.view(), params))}};
        });
  if (candidates) {
    v.add({{"op", "detectCandidates"},
           {"cascade", cascade},
           {"image", name},
           {"params", params_json(params)}},
          [&] {
            return json{
                {"boxes", boxes_json(cascades[cascade].detect_candidates(gray.view(), params))}};
          });
  }
}

std::vector<fg::Box> find_faces_op(Vectors& v, const Cascades& cascades, const std::string& cascade,
                                   const Input& gray, const fg::FaceSearch& search) {
  const std::string& name = v.image(gray);
  std::vector<fg::Box> found;
  v.add(
      {{"op", "findFaces"}, {"cascade", cascade}, {"image", name}, {"search", search_json(search)}},
      [&] {
        found = fg::find_faces(cascades[cascade], gray.view(), search);
        return json{{"boxes", boxes_json(found)}};
      });
  return found;
}

void roll_op(Vectors& v, const Cascades& cascades, const Input& gray, const fg::Box& box) {
  const std::string& name = v.image(gray);
  v.add({{"op", "estimateRoll"}, {"cascade", "eye"}, {"image", name}, {"box", box_json(box)}},
        [&, box] {
          const std::optional<double> roll = fg::estimate_roll(cascades["eye"], gray.view(), box);
          return json{{"roll", roll ? json(*roll) : json(nullptr)}};
        });
}

// faceInputs is the core's prepare_faces.
void face_inputs_op(Vectors& v, const Cascades& cascades, const std::string& cascade,
                    const Input& rgba, const fg::FaceSearch& search,
                    const fg::CropGeometry& geometry, const fg::Normalization& norm) {
  const std::string& name = v.image(rgba);
  v.add({{"op", "faceInputs"},
         {"cascade", cascade},
         {"image", name},
         {"search", search_json(search)},
         {"geometry", geometry_json(geometry)},
         {"normalization", normalization_json(norm)}},
        [&] {
          const fg::FaceBatch batch =
              fg::prepare_faces(cascades[cascade], rgba.view(), search, geometry, norm);
          return json{{"boxes", boxes_json(batch.boxes)},
                      {"dims", {batch.boxes.size(), 1, geometry.input, geometry.input}},
                      {"tensor", v.f32(batch.tensor)}};
        });
}

// A short video from a photo: `count` frames, each the photo moved by (dx, dy)
// more pixels, registered as images named PREFIX-K-photo; also their names.
struct Video {
  std::vector<Input> frames;
  json names = json::array();
};

Video moving_frames(Vectors& v, const Input& rgba, const std::string& prefix, int count, int dx,
                    int dy) {
  const int width = rgba.width - count * dx;
  const int height = rgba.height - count * dy;
  Video video;
  for (int k = 0; k < count; ++k) {
    Input frame;
    frame.name = prefix + "-" + std::to_string(k) + "-" + rgba.name;
    frame.width = width;
    frame.height = height;
    frame.format = fg::PixelFormat::RGBA8;
    for (int y = 0; y < height; ++y) {
      const auto row = rgba.bytes.begin() + ((y + k * dy) * rgba.width + k * dx) * 4;
      frame.bytes.insert(frame.bytes.end(), row, row + width * 4);
    }
    video.names.push_back(v.image(frame));
    video.frames.push_back(std::move(frame));
  }
  return video;
}

// The webcam path: a tracker over a short video (the photo moving a few pixels
// per frame); the boxes, full-search flags and tensors of every frame.
void track_faces_op(Vectors& v, const Cascades& cascades, const Input& rgba,
                    const fg::FaceSearch& search, const fg::TrackSettings& settings,
                    const fg::CropGeometry& geometry) {
  const Video video = moving_frames(v, rgba, "moved", 5, 5, 2);
  v.add({{"op", "trackFaces"},
         {"cascade", "frontalface_default"},
         {"frames", video.names},
         {"search", search_json(search)},
         {"settings",
          {{"fullSearchEvery", settings.full_search_every},
           {"window", settings.window},
           {"facePixels", settings.face_pixels}}},
         {"geometry", geometry_json(geometry)}},
        [&] {
          fg::FaceTracker tracker(search, settings);
          json out = json::array();
          for (const Input& frame : video.frames) {
            const fg::FaceBatch batch = fg::prepare_faces(tracker, cascades["frontalface_default"],
                                                          frame.view(), geometry, {});
            out.push_back({{"boxes", boxes_json(batch.boxes)},
                           {"fullSearch", tracker.last_was_full_search()},
                           {"tensor", v.f32(batch.tensor)}});
          }
          return json{{"frames", out}};
        });
}

// ---- BlazeFace -----------------------------------------------------------------

json point_json(const fg::Point& p) {
  return {{"x", static_cast<double>(p.x)}, {"y", static_cast<double>(p.y)}};
}

json detection_json(const fg::FaceDetection& f) {
  json points = json::array();
  for (const fg::Point& p : f.keypoints) points.push_back(point_json(p));
  return {{"x", static_cast<double>(f.x)},         {"y", static_cast<double>(f.y)},
          {"width", static_cast<double>(f.width)}, {"height", static_cast<double>(f.height)},
          {"score", static_cast<double>(f.score)}, {"keypoints", points}};
}

json detections_json(const std::vector<fg::FaceDetection>& faces) {
  json a = json::array();
  for (const auto& f : faces) a.push_back(detection_json(f));
  return a;
}

json align_json(const fg::AlignSpec& a) {
  return {{"kind", "aligned"}, {"scale", a.scale}, {"shift", a.shift}, {"size", a.size}};
}

json box_crop_json(const fg::CropGeometry& g) {
  json j = geometry_json(g);
  j["kind"] = "box";
  return j;
}

// The detector on a picture in every scene; the aligned crops and poses of
// the faces it finds, and the whole per-frame path with both crops.
std::vector<fg::FaceDetection> blazeface_ops(Vectors& v, const fg::FaceFinder& finder,
                                             const Input& rgba, const Input& gray) {
  const std::string& name = v.image(rgba);
  std::vector<fg::FaceDetection> faces;
  for (const char* scene : {"photo", "webcam", "chip"}) {
    v.add({{"op", "finderFind"}, {"image", name}, {"scene", scene}}, [&] {
      auto found = finder.find(rgba.view(), fg::scene_settings(fg::parse_scene(scene)));
      if (std::string(scene) == "photo") faces = found;
      return json{{"faces", detections_json(found)}};
    });
  }
  v.add({{"op", "letterboxInput"},
         {"image", name},
         {"region", box_json({0, 0, rgba.width, rgba.height})},
         {"size", 128}},
        [&] {
          return json{{"tensor", v.f32(fg::letterbox_input(rgba.view(),
                                                           {0, 0, rgba.width, rgba.height}, 128))}};
        });
  const std::string& gray_name = v.image(gray);
  for (std::size_t i = 0; i < std::min<std::size_t>(faces.size(), 3); ++i) {
    const fg::FaceDetection face = faces[i];
    v.add({{"op", "alignedCrop"},
           {"image", gray_name},
           {"face", detection_json(face)},
           {"spec", align_json({})}},
          [&, face] {
            return json{{"pixels", v.u8(fg::aligned_crop(gray.view(), face, {}).pixels())}};
          });
    v.add({{"op", "estimatePose"}, {"face", detection_json(face)}}, [&, face] {
      const fg::HeadPose p = fg::estimate_pose(face);
      return json{{"yaw", p.yaw}, {"pitch", p.pitch}, {"roll", p.roll}};
    });
  }
  // The dataset check of the whole photo, then of each of its first faces alone.
  std::vector<std::vector<fg::FaceDetection>> checked{faces};
  for (std::size_t i = 0; i < std::min<std::size_t>(faces.size(), 3); ++i)
    checked.push_back({faces[i]});
  for (const std::vector<fg::FaceDetection>& list : checked) {
    v.add({{"op", "checkFaces"},
           {"faces", detections_json(list)},
           {"width", rgba.width},
           {"height", rgba.height}},
          [&, list] {
            const fg::FaceCheck check = fg::check_faces(list, rgba.width, rgba.height);
            return json{{"issue", fg::to_string(check.issue)}, {"detail", check.detail}};
          });
  }
  const fg::CropGeometry box{0.2, 100, 80};
  for (const json& crop : {box_crop_json(box), align_json({})}) {
    fg::CropSpec spec;
    if (crop["kind"] == "aligned") spec.kind = fg::CropKind::Aligned;
    spec.box = box;
    v.add({{"op", "finderFaceInputs"},
           {"image", name},
           {"scene", "photo"},
           {"crop", crop},
           {"normalization", normalization_json({0.5f, 0.5f})}},
          [&, spec] {
            const fg::FaceBatch batch = fg::prepare_faces(
                finder, rgba.view(), fg::scene_settings(fg::Scene::Photo), spec, {0.5f, 0.5f});
            return json{{"boxes", boxes_json(batch.boxes)},
                        {"faces", detections_json(batch.faces)},
                        {"input", batch.input},
                        {"tensor", v.f32(batch.tensor)}};
          });
  }
  return faces;
}

// The BlazeFace webcam path over a short video (the photo moving a few pixels
// per frame): smoothed faces and tensors of every frame.
void smooth_faces_op(Vectors& v, const fg::FaceFinder& finder, const Input& rgba) {
  const Video video = moving_frames(v, rgba, "blaze-moved", 4, 3, 2);
  v.add({{"op", "smoothFaces"}, {"frames", video.names}, {"crop", align_json({})}}, [&] {
    fg::FaceSmoother smoother;
    fg::CropSpec spec;
    spec.kind = fg::CropKind::Aligned;
    json out = json::array();
    for (const Input& frame : video.frames) {
      const fg::FaceBatch batch = fg::prepare_faces(smoother, finder, frame.view(), spec, {});
      out.push_back({{"faces", detections_json(batch.faces)}, {"tensor", v.f32(batch.tensor)}});
    }
    return json{{"frames", out}};
  });
}

void postprocess_ops(Vectors& v) {
  std::mt19937 rng(20240601u);
  auto uniform = [&rng](float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(rng() >> 8) / static_cast<float>(1u << 24);
  };
  std::vector<std::vector<float>> logit_sets = {{0.0f},
                                                {1.0f, 2.0f},
                                                {-3.5f, 0.25f, 7.0f},
                                                {1000.0f, -1000.0f, 3.0f},
                                                {88.0f, 89.0f},
                                                {-100.0f, -101.0f},
                                                {}};
  for (int n : {2, 5, 17, 1000}) {
    std::vector<float> logits(static_cast<std::size_t>(n));
    for (float& x : logits) x = uniform(-12.0f, 12.0f);
    logit_sets.push_back(std::move(logits));
  }
  // Many exponentials over exp's whole useful range (down to underflow), as a
  // ramp and at random: std::exp must agree everywhere, not just at a few points.
  {
    std::vector<float> ramp(1u << 17);
    std::vector<float> random(1u << 17);
    for (std::size_t i = 0; i < ramp.size(); ++i) {
      ramp[i] = -105.0f * static_cast<float>(i) / static_cast<float>(ramp.size());
      random[i] = uniform(-105.0f, 0.0f);
    }
    random[0] = 0.0f;
    logit_sets.push_back(std::move(ramp));
    logit_sets.push_back(std::move(random));
  }
  for (const std::vector<float>& logits : logit_sets) {
    v.add({{"op", "softmax"}, {"logits", v.f32(logits)}}, [&] {
      return json{{"probabilities", v.f32(fg::softmax(logits))}};
    });
  }

  const std::vector<std::string> names = {"female", "male", "n\xC3\xA4me \xE2\x9C\x93", ""};
  const std::vector<float> ps = {0.0f,     1.0f,    0.5f,  0.9734f, 0.99951f,  0.00049f, 0.0005f,
                                 0.12345f, 0.9995f, 0.96f, 1e-7f,   0.999999f, -0.1f,    1.5f};
  for (const std::string& name : names) {
    for (float p : ps) {
      v.add({{"op", "formatLabel"}, {"name", name}, {"probability", static_cast<double>(p)}},
            [&, p] {
              return json{{"label", fg::format_label(name, p)}};
            });
    }
  }

  const std::vector<std::pair<std::vector<float>, std::vector<std::string>>> predictions = {
      {{0.1f, 0.9f}, {"female", "male"}},
      {{0.7f, 0.3f}, {"female", "male"}},
      {{0.5f, 0.5f}, {"female", "male"}},
      {{0.2f, 0.3f, 0.5f}, {"a", "b", "c"}},
      {{0.2f, 0.8f}, {"only one"}},
      {{std::numeric_limits<float>::quiet_NaN(), 0.5f}, {"female", "male"}},
      {{std::numeric_limits<float>::infinity(), 0.5f}, {"female", "male"}},
  };
  for (const auto& [probs, classes] : predictions) {
    v.add({{"op", "predict"}, {"probabilities", v.f32(probs)}, {"classNames", classes}}, [&] {
      const fg::Prediction p = fg::predict(probs, classes);
      return json{{"classIndex", p.class_index},
                  {"className", p.class_name},
                  {"confidence", static_cast<double>(p.confidence)},
                  {"label", p.label}};
    });
  }

  const std::string names_ok = R"(["female","male"])";
  const std::string crop_ok = R"({"margin":0.2,"size":100,"input":80})";
  const std::string norm_ok = R"({"mean":0.5,"std":0.25})";
  const std::vector<std::map<std::string, std::string>> metadata = {
      {{"class_names", names_ok}, {"crop", crop_ok}, {"normalization", norm_ok}},
      {{"class_names", names_ok},
       {"crop", R"({"margin":0.37,"size":57,"input":41})"},
       {"normalization", R"({"mean":0.485,"std":0.229})"},
       {"producer", "facegender-trainer"}},
      {{"crop", crop_ok}, {"normalization", norm_ok}},
      {{"class_names", R"(["female"])"}, {"crop", crop_ok}, {"normalization", norm_ok}},
      {{"class_names", "not json"}, {"crop", crop_ok}, {"normalization", norm_ok}},
      {{"class_names", names_ok},
       {"crop", R"({"margin":0.2,"size":100})"},
       {"normalization", norm_ok}},
      {{"class_names", names_ok},
       {"crop", R"({"margin":0.2,"size":64,"input":80})"},
       {"normalization", norm_ok}},
      {{"class_names", names_ok}, {"crop", crop_ok}, {"normalization", R"({"mean":0,"std":0})"}},
      {{"class_names", names_ok},
       {"crop", R"({"kind":"aligned","scale":4.2,"shift":0.2,"size":80})"},
       {"detector", "blazeface"},
       {"normalization", norm_ok}},
      {{"class_names", names_ok},
       {"crop", crop_ok},
       {"detector", "yolo"},
       {"normalization", norm_ok}},
      {{"class_names", names_ok},
       {"crop", R"({"kind":"aligned","scale":40,"shift":0.2,"size":80})"},
       {"normalization", norm_ok}},
      // A calibrated model, and temperatures the core refuses.
      {{"class_names", names_ok},
       {"crop", crop_ok},
       {"normalization", norm_ok},
       {"temperature", "0.626"}},
      {{"class_names", names_ok},
       {"crop", crop_ok},
       {"normalization", norm_ok},
       {"temperature", "0"}},
      {{"class_names", names_ok},
       {"crop", crop_ok},
       {"normalization", norm_ok},
       {"temperature", "warm"}},
  };
  for (const auto& md : metadata) {
    v.add({{"op", "parseModelSpec"}, {"metadata", md}}, [&] {
      const fg::ModelSpec spec = fg::parse_model_spec(md);
      const json crop_spec = spec.crop_spec.kind == fg::CropKind::Aligned
                                 ? align_json(spec.crop_spec.aligned)
                                 : box_crop_json(spec.crop_spec.box);
      return json{{"classNames", spec.class_names},
                  {"crop", geometry_json(spec.crop)},
                  {"cropSpec", crop_spec},
                  {"detector", spec.detector},
                  {"normalization", normalization_json(spec.normalization)},
                  {"temperature", spec.temperature}};
    });
  }
}

void invalid_input_ops(Vectors& v, const Cascades& cascades) {
  // Buffers that do not match the declared size, and bad sizes.
  Input short_rgba = random_image(9, 7, fg::PixelFormat::RGBA8, 901);
  short_rgba.name = "invalid-short-rgba-9x7";
  short_rgba.bytes.resize(short_rgba.bytes.size() - 1);
  Input zero_width = random_image(3, 3, fg::PixelFormat::RGB8, 902);
  zero_width.name = "invalid-zero-width-rgb";
  zero_width.width = 0;
  Input negative = random_image(4, 4, fg::PixelFormat::Gray8, 903);
  negative.name = "invalid-negative-height-gray";
  negative.height = -4;
  Input long_gray = random_image(5, 5, fg::PixelFormat::Gray8, 904);
  long_gray.name = "invalid-long-gray-5x4";
  long_gray.height = 4;  // buffer holds one row more than needed
  for (const Input* in : {&short_rgba, &zero_width, &negative, &long_gray}) {
    const std::string& name = v.image(*in);
    v.add({{"op", "toGray"}, {"image", name}}, [&, in] {
      return json{{"pixels", v.u8(fg::to_gray(in->view()).pixels())}};
    });
  }
  const std::string& neg = v.image(negative);
  v.add({{"op", "resize"}, {"fn", "resize"}, {"image", neg}, {"newWidth", 2}, {"newHeight", 2}},
        [&] {
          return json{{"pixels", v.u8(fg::resize(negative.view(), 2, 2).pixels())}};
        });

  const Input gray = random_image(31, 29, fg::PixelFormat::Gray8, 905);
  const std::string& g = v.image(gray);
  for (auto [nw, nh] : {std::pair{0, 5}, std::pair{5, -1}}) {
    v.add({{"op", "resize"}, {"fn", "resize"}, {"image", g}, {"newWidth", nw}, {"newHeight", nh}},
          [&, nw = nw, nh = nh] {
            return json{{"pixels", v.u8(fg::resize(gray.view(), nw, nh).pixels())}};
          });
  }
  v.add({{"op", "centerCrop"}, {"image", g}, {"size", 0}}, [&] {
    return json{{"pixels", v.u8(fg::center_crop(gray.view(), 0).pixels())}};
  });
  for (const fg::Normalization n :
       {fg::Normalization{0.0f, 0.0f}, fg::Normalization{0.0f, -1.0f}}) {
    v.add({{"op", "toTensor"}, {"image", g}, {"normalization", normalization_json(n)}}, [&, n] {
      return json{{"tensor", v.f32(fg::to_tensor(gray.view(), n))}};
    });
  }
  // Detection parameters out of range.
  for (const fg::DetectParams p :
       {fg::DetectParams{1.0, 3, 0, 0}, fg::DetectParams{1.1, -1, 0, 0},
        fg::DetectParams{1.1, 3, 50, 20}, fg::DetectParams{0.5, 3, 0, 0}}) {
    detect_ops(v, cascades, "frontalface_default", gray, p, false);
  }
  // Images smaller than the cascade window.
  detect_ops(v, cascades, "frontalface_default", random_image(10, 30, fg::PixelFormat::Gray8, 906),
             {}, true);
  // Cascade JSON that is malformed or unsupported.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty", ""},
      {"not-json", "<opencv_storage>"},
      {"array", "[1,2,3]"},
      {"empty-object", "{}"},
      {"truncated", R"({"width":24,"height":24,"stages":[)"}};
  for (const auto& [label, text] : bad) {
    v.add({{"op", "cascadeFromJson"}, {"text", text}, {"sourceName", "bad-" + label + ".json"}},
          [&] {
            const fg::Cascade c = fg::Cascade::from_json(text, "bad-" + label + ".json");
            return json{{"windowWidth", c.window_width()},
                        {"windowHeight", c.window_height()},
                        {"stageCount", c.stage_count()}};
          });
  }
}

int run(const fs::path& out_dir, const fs::path& cascade_dir, const fs::path& photo_dir,
        const fs::path& detector_dir) {
  Vectors v(out_dir);
  v.detectors((detector_dir / "face_detection_short_range.fgnet").string(),
              (detector_dir / "face_detection_full_range.fgnet").string());
  const fg::FaceFinder finder(
      fg::BlazeFace(fg::InferenceNetwork::from_file(
                        (detector_dir / "face_detection_short_range.fgnet").string()),
                    fg::BlazeFaceModel::ShortRange),
      fg::BlazeFace(fg::InferenceNetwork::from_file(
                        (detector_dir / "face_detection_full_range.fgnet").string()),
                    fg::BlazeFaceModel::FullRange));

  // Cascades, under short names.
  const std::vector<std::pair<std::string, std::string>> cascade_files = {
      {"frontalface_default", "haarcascade_frontalface_default.json"},
      {"frontalface_alt2", "haarcascade_frontalface_alt2.json"},
      {"eye", "haarcascade_eye.json"}};
  Cascades cascades;
  for (const auto& [name, file] : cascade_files) {
    const fs::path path = fs::absolute(cascade_dir / file);
    if (!fs::exists(path))
      throw std::runtime_error(path.string() + " is missing: build the facegender_cascades target");
    cascades.by_name.emplace(name, fg::Cascade::from_file(path.string()));
    v.cascade(name, path);
    v.add({{"op", "cascadeFromJson"}, {"cascade", name}}, [&, name = name] {
      const fg::Cascade& c = cascades[name];
      return json{{"windowWidth", c.window_width()},
                  {"windowHeight", c.window_height()},
                  {"stageCount", c.stage_count()}};
    });
  }

  // Random images of odd sizes in every format -> gray; the grays feed the
  // geometric ops.
  const std::vector<std::pair<int, int>> sizes = {{1, 1},   {2, 3},   {7, 5},    {1, 9},
                                                  {37, 23}, {64, 48}, {101, 67}, {333, 211}};
  const fg::PixelFormat formats[] = {fg::PixelFormat::Gray8, fg::PixelFormat::RGB8,
                                     fg::PixelFormat::BGR8, fg::PixelFormat::RGBA8};
  std::uint32_t seed = 1;
  std::vector<Input> grays;
  for (const auto& [w, h] : sizes) {
    for (const fg::PixelFormat f : formats) {
      const Input in = random_image(w, h, f, seed++);
      const std::string& name = v.image(in);
      v.add({{"op", "toGray"}, {"image", name}}, [&] {
        return json{{"pixels", v.u8(fg::to_gray(in.view()).pixels())}};
      });
      if (f == fg::PixelFormat::RGBA8)
        grays.push_back(from_image("gray-of-" + in.name, fg::to_gray(in.view())));
    }
  }
  grays.push_back(textured_gray(129, 97, 77));
  grays.push_back(textured_gray(50, 301, 78));
  for (const Input& gray : grays) gray_ops(v, gray, true, true);

  // Random gray images through every cascade (few or no faces, but candidates).
  for (const Input& noise :
       {random_image(97, 131, fg::PixelFormat::Gray8, 500), textured_gray(320, 241, 501)}) {
    for (const auto& [name, file] : cascade_files) detect_ops(v, cascades, name, noise, {}, true);
    find_faces_op(v, cascades, "frontalface_default", noise, {{1.1, 3, 0, 0}, 0.2, 100});
    roll_op(v, cascades, noise, {10, 10, 60, 60});
  }
  face_inputs_op(v, cascades, "frontalface_default",
                 random_image(333, 211, fg::PixelFormat::RGBA8, 502), {}, {}, {});

  // The photos.
  const std::vector<Photo> photos = load_photos(photo_dir);
  const fg::FaceSearch quick{{1.1, 3, 0, 0}, 0.1, 480};
  const fg::FaceSearch careful{{1.05, 4, 24, 0}, 0.2, 320};
  const fg::FaceSearch full{{1.1, 3, 0, 0}, 0.0, 0};
  std::size_t photo_index = 0;
  for (const Photo& p : photos) {
    const bool large = std::max(p.gray.width, p.gray.height) > 1000;
    v.add({{"op", "toGray"}, {"image", v.image(p.bgr)}}, [&] {
      return json{{"pixels", v.u8(fg::to_gray(p.bgr.view()).pixels())}};
    });
    v.add({{"op", "toGray"}, {"image", v.image(p.rgba)}}, [&] {
      return json{{"pixels", v.u8(fg::to_gray(p.rgba.view()).pixels())}};
    });
    gray_ops(v, p.gray, photo_index == 0, false);

    // Detection on the photo at (at most) 640 pixels, every cascade.
    Input small = p.gray;
    const int side = std::max(p.gray.width, p.gray.height);
    if (side > 640) {
      const int w = std::max(1, static_cast<int>(static_cast<long>(p.gray.width) * 640 / side));
      const int h = std::max(1, static_cast<int>(static_cast<long>(p.gray.height) * 640 / side));
      small = from_image("photo-gray640-" + p.name, fg::resize(p.gray.view(), w, h));
    }
    detect_ops(v, cascades, "frontalface_default", small, {1.1, 3, 0, 0}, photo_index % 3 == 0);
    detect_ops(v, cascades, "frontalface_default", small, {1.2, 5, 40, 0}, false);
    detect_ops(v, cascades, "frontalface_alt2", small, {1.1, 3, 0, 0}, false);
    detect_ops(v, cascades, "frontalface_alt2", small, {1.05, 2, 0, 150}, false);
    detect_ops(v, cascades, "eye", small, {1.1, 3, 0, 0}, false);
    if (large) detect_ops(v, cascades, "frontalface_default", p.gray, {1.1, 3, 80, 0}, false);

    // find_faces at full resolution, with padding and shrinking.
    if (!large) find_faces_op(v, cascades, "frontalface_default", p.gray, full);
    const std::vector<fg::Box> faces =
        find_faces_op(v, cascades, "frontalface_default", p.gray, quick);
    find_faces_op(v, cascades, "frontalface_alt2", p.gray, careful);

    // Roll from the eyes, for the faces found and for a box half outside.
    for (std::size_t i = 0; i < std::min<std::size_t>(faces.size(), 4); ++i)
      roll_op(v, cascades, p.gray, faces[i]);
    roll_op(v, cascades, p.gray,
            {-p.gray.width / 8, -p.gray.height / 8, p.gray.width / 3, p.gray.height / 3});

    // Tight face crops (dataset style), searched with and without padding;
    // their tensors.
    for (std::size_t i = 0; i < std::min<std::size_t>(faces.size(), 2); ++i) {
      const Input crop = from_image("facecrop-" + std::to_string(i) + "-" + p.name,
                                    fg::crop_face(p.gray.view(), faces[i], {0.0, 100, 100}));
      find_faces_op(v, cascades, "frontalface_default", crop, {{1.1, 3, 0, 0}, 0.25, 0});
      find_faces_op(v, cascades, "frontalface_alt2", crop, {{1.05, 2, 0, 0}, 0.0, 0});
      for (const fg::Normalization& n : kNormalizations) {
        v.add({{"op", "toTensor"},
               {"image", v.image(crop)},
               {"normalization", normalization_json(n)}},
              [&, n] {
                return json{{"tensor", v.f32(fg::to_tensor(crop.view(), n))}};
              });
      }
    }

    // The per-frame browser call.
    face_inputs_op(v, cascades, "frontalface_default", p.rgba, quick, {0.2, 100, 80}, {0.5f, 0.5f});
    const std::vector<fg::FaceDetection> detected = blazeface_ops(v, finder, p.rgba, p.gray);
    if (photo_index % 3 == 1) smooth_faces_op(v, finder, p.rgba);
    // A tight crop of the best face: the padded retry and the chip preset.
    if (!detected.empty()) {
      const fg::Box b = fg::to_box(detected.front(), p.gray.width, p.gray.height);
      Input chip;
      chip.name = "chip-" + p.name;
      chip.width = b.width;
      chip.height = b.height;
      chip.format = fg::PixelFormat::RGBA8;
      for (int y = 0; y < b.height; ++y) {
        const auto row = p.rgba.bytes.begin() + ((y + b.y) * p.rgba.width + b.x) * 4;
        chip.bytes.insert(chip.bytes.end(), row, row + b.width * 4);
      }
      blazeface_ops(v, finder, chip, from_image("gray-" + chip.name, fg::to_gray(chip.view())));
    }
    if (photo_index % 2 == 0) {
      face_inputs_op(v, cascades, "frontalface_alt2", p.rgba, careful, {0.37, 57, 41},
                     {0.485f, 0.229f});
    } else {
      track_faces_op(v, cascades, p.rgba, {{1.1, 5, 0, 0}, 0.0, 320}, {3, 2.0, 36}, {0.2, 100, 80});
    }
    ++photo_index;
  }
  face_inputs_op(v, cascades, "frontalface_default", photos.front().rgba, quick, {0.2, 64, 80}, {});

  postprocess_ops(v);
  invalid_input_ops(v, cascades);
  v.finish();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: make_parity_vectors OUT_DIR CASCADE_DIR PHOTO_DIR DETECTOR_DIR\n";
    return 2;
  }
  try {
    return run(argv[1], argv[2], argv[3], argv[4]);
  } catch (const std::exception& e) {
    std::cerr << "make_parity_vectors: " << e.what() << "\n";
    return 1;
  }
}
