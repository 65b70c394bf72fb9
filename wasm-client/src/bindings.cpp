// Embind API of the facegender core for the browser (and node).
//
// Thin on purpose: every function converts JS values (typed arrays, plain
// objects, numbers) to core types, calls the core and converts the result
// back. faceInputs is the core's prepare_faces (gray -> find_faces ->
// crop_face -> center_crop -> to_tensor), the same path the native tools use.
//
// Errors: the core's facegender::InputError reaches JS as an Error whose name
// is "InputError" and whose message is the core's; a JS value of the wrong
// kind (a string for a width, a Float32Array for pixels) raises a TypeError.
// A JS exception thrown from C++ would skip the destructors of the C++ frames
// it crosses, embind's own included (leaking the emval handles of the
// arguments, and with them the caller's pixel arrays), so the functions
// *return* the Error object instead and js/post.js wraps every exported
// function to throw it.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
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

using emscripten::val;

namespace {

namespace fg = facegender;

// A JS argument of the wrong type: becomes a JS TypeError.
class ArgumentTypeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

val make_error(const char* constructor, const std::string& message, const char* name) {
  val error = val::global(constructor).new_(val(message));
  if (name != nullptr) error.set("name", val(name));
  return error;
}

// Runs `body`, turning a C++ exception into the JS Error returned in place
// of the result (js/post.js throws it).
template <class Body>
val guarded(Body&& body) {
  try {
    return body();
  } catch (const ArgumentTypeError& e) {
    return make_error("TypeError", e.what(), nullptr);
  } catch (const fg::InputError& e) {
    return make_error("Error", e.what(), "InputError");
  } catch (const std::bad_alloc&) {
    return make_error("RangeError", "facegender: out of memory", nullptr);
  } catch (const std::exception& e) {
    return make_error("Error", e.what(), nullptr);
  } catch (...) {
    return make_error("Error", "facegender: unknown C++ exception", nullptr);
  }
}

// ---- JS -> C++ -------------------------------------------------------------

std::string type_of(const val& v) {
  if (v.isNull()) return "null";
  if (v.isArray()) return "Array";
  if (v.instanceof
      (val::global("ArrayBuffer")) || val::global("ArrayBuffer").call<bool>("isView", v))
    return v["constructor"]["name"].as<std::string>();
  return v.typeOf().as<std::string>();
}

bool is_number(const val& v) {
  return v.typeOf().as<std::string>() == "number";
}

double number_arg(const val& v, const std::string& name) {
  if (!is_number(v)) throw ArgumentTypeError(name + " must be a number, got " + type_of(v));
  return v.as<double>();
}

int int_arg(const val& v, const std::string& name) {
  const double d = number_arg(v, name);
  if (!(std::trunc(d) == d) || d < -2147483648.0 || d > 2147483647.0)
    throw ArgumentTypeError(name + " must be a 32-bit integer, got " +
                            v.call<std::string>("toString"));
  return static_cast<int>(d);
}

std::string string_arg(const val& v, const std::string& name) {
  if (v.typeOf().as<std::string>() != "string")
    throw ArgumentTypeError(name + " must be a string, got " + type_of(v));
  return v.as<std::string>();
}

bool is_object(const val& v) {
  return !v.isNull() && !v.isUndefined() && v.typeOf().as<std::string>() == "object";
}

// An options object: undefined/null mean "all defaults"; otherwise an object.
bool options_arg(const val& v, const std::string& name) {
  if (v.isUndefined() || v.isNull()) return false;
  if (!is_object(v)) throw ArgumentTypeError(name + " must be an object, got " + type_of(v));
  return true;
}

// Optional fields keep the core's defaults when absent (undefined).
void read_field(const val& obj, const char* key, const std::string& owner, double& out) {
  const val v = obj[key];
  if (!v.isUndefined()) out = number_arg(v, owner + "." + key);
}
void read_field(const val& obj, const char* key, const std::string& owner, float& out) {
  const val v = obj[key];
  if (!v.isUndefined()) out = static_cast<float>(number_arg(v, owner + "." + key));
}
void read_field(const val& obj, const char* key, const std::string& owner, int& out) {
  const val v = obj[key];
  if (!v.isUndefined()) out = int_arg(v, owner + "." + key);
}

// Uint8Array, Uint8ClampedArray or a plain Array of numbers, copied.
std::vector<std::uint8_t> bytes_arg(const val& v, const std::string& name) {
  if (!(v.instanceof (val::global("Uint8Array")) || v.instanceof
        (val::global("Uint8ClampedArray")) || v.isArray()))
    throw ArgumentTypeError(name + " must be a Uint8Array or Uint8ClampedArray, got " + type_of(v));
  return emscripten::convertJSArrayToNumberVector<std::uint8_t>(v);
}

// Float32Array, Float64Array or a plain Array of numbers, copied as float.
std::vector<float> floats_arg(const val& v, const std::string& name) {
  if (!(v.instanceof (val::global("Float32Array")) || v.instanceof
        (val::global("Float64Array")) || v.isArray()))
    throw ArgumentTypeError(name + " must be a Float32Array or an Array of numbers, got " +
                            type_of(v));
  return emscripten::convertJSArrayToNumberVector<float>(v);
}

fg::PixelFormat format_arg(const val& v) {
  std::string s = string_arg(v, "format");
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (s == "gray" || s == "gray8") return fg::PixelFormat::Gray8;
  if (s == "rgb" || s == "rgb8") return fg::PixelFormat::RGB8;
  if (s == "bgr" || s == "bgr8") return fg::PixelFormat::BGR8;
  if (s == "rgba" || s == "rgba8") return fg::PixelFormat::RGBA8;
  throw ArgumentTypeError("format must be one of \"gray\", \"rgb\", \"bgr\", \"rgba\", got \"" + s +
                          "\"");
}

// Pixels copied out of the JS heap plus a view on them (validated by the core).
struct Pixels {
  std::vector<std::uint8_t> bytes;
  fg::ImageView view;
};

Pixels pixels_arg(const val& data, const val& width, const val& height, fg::PixelFormat format,
                  const char* name) {
  std::vector<std::uint8_t> bytes = bytes_arg(data, name);
  const int w = int_arg(width, "width");
  const int h = int_arg(height, "height");
  fg::ImageView view(std::span<const std::uint8_t>(bytes.data(), bytes.size()), w, h, format);
  // The view points into the vector's heap block, which moves along with it.
  return Pixels{std::move(bytes), view};
}

fg::Box box_arg(const val& v, const std::string& name) {
  if (!is_object(v))
    throw ArgumentTypeError(name + " must be an object {x, y, width, height}, got " + type_of(v));
  fg::Box box;
  box.x = int_arg(v["x"], name + ".x");
  box.y = int_arg(v["y"], name + ".y");
  box.width = int_arg(v["width"], name + ".width");
  box.height = int_arg(v["height"], name + ".height");
  return box;
}

fg::CropGeometry geometry_arg(const val& v) {
  fg::CropGeometry g;
  if (options_arg(v, "geometry")) {
    read_field(v, "margin", "geometry", g.margin);
    read_field(v, "size", "geometry", g.size);
    read_field(v, "input", "geometry", g.input);
  }
  return g;
}

fg::Normalization normalization_arg(const val& v) {
  fg::Normalization n;
  if (options_arg(v, "normalization")) {
    read_field(v, "mean", "normalization", n.mean);
    read_field(v, "std", "normalization", n.std);
  }
  return n;
}

void read_detect_fields(const val& v, const std::string& owner, fg::DetectParams& p) {
  read_field(v, "scaleFactor", owner, p.scale_factor);
  read_field(v, "minNeighbors", owner, p.min_neighbors);
  read_field(v, "minSize", owner, p.min_size);
  read_field(v, "maxSize", owner, p.max_size);
}

fg::DetectParams detect_params_arg(const val& v) {
  fg::DetectParams p;
  if (options_arg(v, "params")) read_detect_fields(v, "params", p);
  return p;
}

fg::FaceSearch search_arg(const val& v) {
  fg::FaceSearch s;
  if (options_arg(v, "search")) {
    read_detect_fields(v, "search", s.detect);
    read_field(v, "padFraction", "search", s.pad_fraction);
    read_field(v, "maxSide", "search", s.max_side);
  }
  return s;
}

// ---- C++ -> JS -------------------------------------------------------------

val uint8_array(std::span<const std::uint8_t> bytes) {
  // Copy out of the wasm heap: a view on it dies when memory grows.
  return val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data()));
}

val float32_array(std::span<const float> values) {
  return val::global("Float32Array")
      .new_(emscripten::typed_memory_view(values.size(), values.data()));
}

val image_out(const fg::Image& image) {
  return uint8_array(image.pixels());
}

val box_out(const fg::Box& b) {
  val o = val::object();
  o.set("x", b.x);
  o.set("y", b.y);
  o.set("width", b.width);
  o.set("height", b.height);
  return o;
}

val boxes_out(const std::vector<fg::Box>& boxes) {
  val a = val::array();
  for (std::size_t i = 0; i < boxes.size(); ++i) a.set(i, box_out(boxes[i]));
  return a;
}

val strings_out(const std::vector<std::string>& strings) {
  val a = val::array();
  for (std::size_t i = 0; i < strings.size(); ++i) a.set(i, val(strings[i]));
  return a;
}

// ---- the API ---------------------------------------------------------------

val to_gray(val data, val width, val height, val format) {
  return guarded([&] {
    const Pixels px = pixels_arg(data, width, height, format_arg(format), "pixels");
    return image_out(fg::to_gray(px.view));
  });
}

val to_gray_rgba(val data, val width, val height) {
  return to_gray(std::move(data), std::move(width), std::move(height), val("rgba"));
}

template <fg::Image (*Resize)(const fg::ImageView&, int, int)>
val resize_with(val gray, val width, val height, val new_width, val new_height) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return image_out(
        Resize(px.view, int_arg(new_width, "newWidth"), int_arg(new_height, "newHeight")));
  });
}

val crop_face(val gray, val width, val height, val box, val geometry) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return image_out(fg::crop_face(px.view, box_arg(box, "box"), geometry_arg(geometry)));
  });
}

val square_crop(val gray, val width, val height, val box, val margin) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    const fg::Image out =
        fg::square_crop(px.view, box_arg(box, "box"), number_arg(margin, "margin"));
    val result = val::object();
    result.set("pixels", image_out(out));
    result.set("width", out.width());
    result.set("height", out.height());
    return result;
  });
}

val center_crop(val gray, val width, val height, val size) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return image_out(fg::center_crop(px.view, int_arg(size, "size")));
  });
}

val to_tensor(val gray, val width, val height, val normalization) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return float32_array(fg::to_tensor(px.view, normalization_arg(normalization)));
  });
}

val cascade_from_json(val text, val source) {
  return guarded([&] {
    return val(fg::Cascade::from_json(string_arg(text, "text"), string_arg(source, "sourceName")));
  });
}

val cascade_detect(const fg::Cascade& cascade, val gray, val width, val height, val params) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return boxes_out(cascade.detect(px.view, detect_params_arg(params)));
  });
}

val cascade_detect_candidates(const fg::Cascade& cascade, val gray, val width, val height,
                              val params) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return boxes_out(cascade.detect_candidates(px.view, detect_params_arg(params)));
  });
}

val find_faces(const fg::Cascade& cascade, val gray, val width, val height, val search) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return boxes_out(fg::find_faces(cascade, px.view, search_arg(search)));
  });
}

val estimate_roll(const fg::Cascade& eyes, val gray, val width, val height, val box) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    const std::optional<double> roll = fg::estimate_roll(eyes, px.view, box_arg(box, "box"));
    return roll ? val(*roll) : val::null();
  });
}

val face_batch_out(const fg::FaceBatch& batch, const fg::CropGeometry& g) {
  val dims = val::array();
  dims.set(0, static_cast<double>(batch.boxes.size()));
  dims.set(1, 1);
  dims.set(2, g.input);
  dims.set(3, g.input);
  val result = val::object();
  result.set("boxes", boxes_out(batch.boxes));
  result.set("tensor", float32_array(batch.tensor));
  result.set("dims", dims);
  val timings = val::object();
  timings.set("detectMs", batch.detect_ms);
  timings.set("prepareMs", batch.prepare_ms);
  result.set("timings", timings);
  return result;
}

// The per-frame browser call: RGBA frame -> faces (largest first) -> one
// N x 1 x input x input float32 batch for the model.
val face_inputs(const fg::Cascade& faces, val rgba, val width, val height, val search, val geometry,
                val normalization) {
  return guarded([&] {
    const fg::FaceSearch s = search_arg(search);
    const fg::CropGeometry g = geometry_arg(geometry);
    const fg::Normalization n = normalization_arg(normalization);
    const Pixels px = pixels_arg(rgba, width, height, fg::PixelFormat::RGBA8, "rgba");
    return face_batch_out(fg::prepare_faces(faces, px.view, s, g, n), g);
  });
}

fg::TrackSettings track_settings_arg(const val& v) {
  fg::TrackSettings t;
  if (options_arg(v, "settings")) {
    read_field(v, "fullSearchEvery", "settings", t.full_search_every);
    read_field(v, "window", "settings", t.window);
    read_field(v, "facePixels", "settings", t.face_pixels);
  }
  return t;
}

val tracker_create(val search, val settings) {
  return guarded(
      [&] { return val(fg::FaceTracker(search_arg(search), track_settings_arg(settings))); });
}

// faceInputs for the next video frame: the faces come from the tracker.
val tracker_face_inputs(fg::FaceTracker& tracker, const fg::Cascade& faces, val rgba, val width,
                        val height, val geometry, val normalization) {
  return guarded([&] {
    const fg::CropGeometry g = geometry_arg(geometry);
    const fg::Normalization n = normalization_arg(normalization);
    const Pixels px = pixels_arg(rgba, width, height, fg::PixelFormat::RGBA8, "rgba");
    val result = face_batch_out(fg::prepare_faces(tracker, faces, px.view, g, n), g);
    result.set("fullSearch", tracker.last_was_full_search());
    return result;
  });
}

val softmax(val logits) {
  return guarded([&] { return float32_array(fg::softmax(floats_arg(logits, "logits"))); });
}

val format_label(val name, val probability) {
  return guarded([&] {
    return val(fg::format_label(string_arg(name, "name"),
                                static_cast<float>(number_arg(probability, "probability"))));
  });
}

std::vector<std::string> string_array_arg(const val& v, const std::string& name) {
  if (!v.isArray())
    throw ArgumentTypeError(name + " must be an Array of strings, got " + type_of(v));
  const std::size_t n = v["length"].as<std::size_t>();
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(string_arg(v[i], name + "[" + std::to_string(i) + "]"));
  return out;
}

val predict(val probabilities, val class_names) {
  return guarded([&] {
    const fg::Prediction p = fg::predict(floats_arg(probabilities, "probabilities"),
                                         string_array_arg(class_names, "classNames"));
    val result = val::object();
    result.set("classIndex", p.class_index);
    result.set("className", p.class_name);
    result.set("confidence", p.confidence);
    result.set("label", p.label);
    return result;
  });
}

val crop_spec_out(const fg::CropSpec& c);  // below, with the BlazeFace API

// metadata: the ONNX metadata_props as a plain object (or a Map) of strings.
// Values that are not strings (already parsed JSON) go through JSON.stringify.
std::map<std::string, std::string> metadata_arg(val metadata) {
  std::map<std::string, std::string> props;
  if (metadata.instanceof (val::global("Map")))
    metadata = val::global("Object").call<val>("fromEntries", metadata);
  if (!is_object(metadata) || metadata.isArray())
    throw ArgumentTypeError("metadata must be an object of strings, got " + type_of(metadata));
  const val keys = val::global("Object").call<val>("keys", metadata);
  const std::size_t n = keys["length"].as<std::size_t>();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string key = keys[i].as<std::string>();
    val value = metadata[key];
    if (value.typeOf().as<std::string>() != "string") {
      const std::string type = type_of(value);
      if (type == "bigint" || type == "symbol" || type == "function" || type == "undefined")
        throw ArgumentTypeError("metadata." + key + " must be a string or JSON data, got " + type);
      value = val::global("JSON").call<val>("stringify", value);
    }
    props[key] = value.as<std::string>();
  }
  return props;
}

val parse_model_spec(val metadata) {
  return guarded([&] {
    const std::map<std::string, std::string> props = metadata_arg(metadata);
    const fg::ModelSpec spec = fg::parse_model_spec(props);
    val crop = val::object();
    crop.set("margin", spec.crop.margin);
    crop.set("size", spec.crop.size);
    crop.set("input", spec.crop.input);
    val norm = val::object();
    norm.set("mean", spec.normalization.mean);
    norm.set("std", spec.normalization.std);
    val result = val::object();
    result.set("classNames", strings_out(spec.class_names));
    result.set("crop", crop);
    result.set("cropSpec", crop_spec_out(spec.crop_spec));
    result.set("detector", spec.detector);
    result.set("normalization", norm);
    result.set("temperature", spec.temperature);
    return result;
  });
}

const char* output_kind_name(fg::OutputKind kind) {
  return kind == fg::OutputKind::Logits ? "logits" : "probabilities";
}

// outputNames: the session's output names; metadata as for parseModelSpec.
val choose_model_output(val output_names, val metadata) {
  return guarded([&] {
    const fg::ModelOutput output = fg::choose_model_output(
        string_array_arg(output_names, "outputNames"), metadata_arg(metadata));
    val result = val::object();
    result.set("name", output.name);
    result.set("kind", std::string(output_kind_name(output.kind)));
    return result;
  });
}

// temperature: the model's (parseModelSpec), 1 when undefined.
val output_probabilities(val row, val kind, val classes, val temperature) {
  return guarded([&] {
    const std::string kind_name = string_arg(kind, "kind");
    if (kind_name != "logits" && kind_name != "probabilities")
      throw ArgumentTypeError("kind must be \"probabilities\" or \"logits\", got \"" + kind_name +
                              "\"");
    const double count = number_arg(classes, "classes");
    if (!(count >= 1 && count <= 1e6) ||
        count != static_cast<double>(static_cast<std::size_t>(count)))
      throw ArgumentTypeError("classes must be a positive integer");
    return float32_array(fg::output_probabilities(
        floats_arg(row, "row"),
        kind_name == "logits" ? fg::OutputKind::Logits : fg::OutputKind::Probabilities,
        static_cast<std::size_t>(count),
        temperature.isUndefined() ? 1.0f
                                  : static_cast<float>(number_arg(temperature, "temperature"))));
  });
}

// ---- BlazeFace ---------------------------------------------------------------

val point_out(const fg::Point& p) {
  val o = val::object();
  o.set("x", p.x);
  o.set("y", p.y);
  return o;
}

val detection_out(const fg::FaceDetection& f) {
  val o = val::object();
  o.set("x", f.x);
  o.set("y", f.y);
  o.set("width", f.width);
  o.set("height", f.height);
  o.set("score", f.score);
  val points = val::array();
  for (std::size_t k = 0; k < f.keypoints.size(); ++k) points.set(k, point_out(f.keypoints[k]));
  o.set("keypoints", points);
  return o;
}

val detections_out(const std::vector<fg::FaceDetection>& faces) {
  val a = val::array();
  for (std::size_t i = 0; i < faces.size(); ++i) a.set(i, detection_out(faces[i]));
  return a;
}

float float_field(const val& obj, const char* key, const std::string& owner) {
  return static_cast<float>(number_arg(obj[key], owner + "." + key));
}

fg::FaceDetection detection_arg(const val& v, const std::string& name) {
  if (!is_object(v))
    throw ArgumentTypeError(name + " must be a face {x, y, width, height, score, keypoints}");
  fg::FaceDetection f;
  f.x = float_field(v, "x", name);
  f.y = float_field(v, "y", name);
  f.width = float_field(v, "width", name);
  f.height = float_field(v, "height", name);
  if (!v["score"].isUndefined()) f.score = float_field(v, "score", name);
  const val points = v["keypoints"];
  if (!points.isArray() || points["length"].as<std::size_t>() != f.keypoints.size())
    throw ArgumentTypeError(name + ".keypoints must be an Array of 6 points {x, y}");
  for (std::size_t k = 0; k < f.keypoints.size(); ++k) {
    const std::string owner = name + ".keypoints[" + std::to_string(k) + "]";
    if (!is_object(points[k])) throw ArgumentTypeError(owner + " must be a point {x, y}");
    f.keypoints[k] = {float_field(points[k], "x", owner), float_field(points[k], "y", owner)};
  }
  return f;
}

val scene_out(const fg::SceneSettings& s) {
  val o = val::object();
  o.set("shortRange", s.short_range);
  o.set("fullRange", s.full_range);
  o.set("shortMinScore", s.short_min_score);
  o.set("fullMinScore", s.full_min_score);
  o.set("padFraction", s.pad_fraction);
  o.set("retryPadFraction", s.retry_pad_fraction);
  o.set("retryMinScore", s.retry_min_score);
  o.set("maxFaces", s.max_faces);
  o.set("overlapIou", s.overlap_iou);
  o.set("insideFraction", s.inside_fraction);
  return o;
}

// A scene: its name ("photo", "webcam", "chip"), or an object that starts
// from the photo preset (or the preset named by its "scene" field).
fg::SceneSettings scene_arg(const val& v) {
  if (v.typeOf().as<std::string>() == "string")
    return fg::scene_settings(fg::parse_scene(v.as<std::string>()));
  if (!options_arg(v, "scene")) return fg::scene_settings(fg::Scene::Photo);
  fg::SceneSettings s = fg::scene_settings(
      v["scene"].isUndefined() ? fg::Scene::Photo
                               : fg::parse_scene(string_arg(v["scene"], "scene.scene")));
  auto flag = [&](const char* key, bool& out) {
    if (!v[key].isUndefined()) out = v[key].as<bool>();
  };
  flag("shortRange", s.short_range);
  flag("fullRange", s.full_range);
  read_field(v, "shortMinScore", "scene", s.short_min_score);
  read_field(v, "fullMinScore", "scene", s.full_min_score);
  read_field(v, "padFraction", "scene", s.pad_fraction);
  read_field(v, "retryPadFraction", "scene", s.retry_pad_fraction);
  read_field(v, "retryMinScore", "scene", s.retry_min_score);
  read_field(v, "maxFaces", "scene", s.max_faces);
  read_field(v, "overlapIou", "scene", s.overlap_iou);
  read_field(v, "insideFraction", "scene", s.inside_fraction);
  return s;
}

fg::AlignSpec align_spec_arg(const val& v) {
  fg::AlignSpec a;
  if (options_arg(v, "align")) {
    read_field(v, "scale", "align", a.scale);
    read_field(v, "shift", "align", a.shift);
    read_field(v, "size", "align", a.size);
  }
  return a;
}

// {kind: "box", margin, size, input} or {kind: "aligned", scale, shift, size}.
fg::CropSpec crop_spec_arg(const val& v) {
  fg::CropSpec c;
  if (!options_arg(v, "crop")) return c;
  const std::string kind = v["kind"].isUndefined() ? "box" : string_arg(v["kind"], "crop.kind");
  if (kind == "aligned") {
    c.kind = fg::CropKind::Aligned;
    c.aligned = align_spec_arg(v);
  } else if (kind == "box") {
    c.box = geometry_arg(v);
  } else {
    throw ArgumentTypeError("crop.kind must be \"box\" or \"aligned\", got \"" + kind + "\"");
  }
  return c;
}

val crop_spec_out(const fg::CropSpec& c) {
  val o = val::object();
  if (c.kind == fg::CropKind::Aligned) {
    o.set("kind", "aligned");
    o.set("scale", c.aligned.scale);
    o.set("shift", c.aligned.shift);
    o.set("size", c.aligned.size);
  } else {
    o.set("kind", "box");
    o.set("margin", c.box.margin);
    o.set("size", c.box.size);
    o.set("input", c.box.input);
  }
  return o;
}

// A BlazeFace FaceBatch: {boxes, faces, tensor, input, detectMs, prepareMs}.
val blazeface_batch_out(const fg::FaceBatch& batch) {
  val result = val::object();
  result.set("boxes", boxes_out(batch.boxes));
  result.set("faces", detections_out(batch.faces));
  val identities = val::array();
  for (const int id : batch.identities) identities.call<void>("push", id);
  result.set("identities", identities);
  result.set("tensor", float32_array(batch.tensor));
  result.set("input", batch.input);
  result.set("detectMs", batch.detect_ms);
  result.set("prepareMs", batch.prepare_ms);
  return result;
}

val finder_from_bytes(val short_range, val full_range) {
  return guarded([&] {
    return val(fg::FaceFinder(
        fg::BlazeFace(fg::InferenceNetwork::from_bytes(bytes_arg(short_range, "shortRange"),
                                                       "face_detection_short_range.fgnet"),
                      fg::BlazeFaceModel::ShortRange),
        fg::BlazeFace(fg::InferenceNetwork::from_bytes(bytes_arg(full_range, "fullRange"),
                                                       "face_detection_full_range.fgnet"),
                      fg::BlazeFaceModel::FullRange)));
  });
}

val finder_find(const fg::FaceFinder& finder, val pixels, val width, val height, val format,
                val scene) {
  return guarded([&] {
    const Pixels px = pixels_arg(pixels, width, height, format_arg(format), "pixels");
    return detections_out(finder.find(px.view, scene_arg(scene)));
  });
}

// The whole path for a photo or webcam frame with BlazeFace (prepare_faces).
val finder_face_inputs(const fg::FaceFinder& finder, val rgba, val width, val height, val scene,
                       val crop, val normalization) {
  return guarded([&] {
    const fg::CropSpec c = crop_spec_arg(crop);
    const fg::Normalization n = normalization_arg(normalization);
    const Pixels px = pixels_arg(rgba, width, height, fg::PixelFormat::RGBA8, "rgba");
    const fg::FaceBatch batch = fg::prepare_faces(finder, px.view, scene_arg(scene), c, n);
    return blazeface_batch_out(batch);
  });
}

val smoother_create(val settings) {
  return guarded([&] {
    fg::SmoothSettings s;
    if (options_arg(settings, "settings")) {
      read_field(settings, "follow", "settings", s.follow);
      read_field(settings, "still", "settings", s.still);
      read_field(settings, "probabilityFollow", "settings", s.probability_follow);
    }
    return val(fg::FaceSmoother(s));
  });
}

// This frame's probability rows averaged per face with its earlier frames.
val smoother_smooth_probabilities(fg::FaceSmoother& smoother, val rows, val classes) {
  return guarded([&] {
    return float32_array(
        smoother.smooth_probabilities(floats_arg(rows, "rows"), int_arg(classes, "classes")));
  });
}

// The webcam path with BlazeFace: the webcam preset, steadied by the smoother.
val smoother_face_inputs(fg::FaceSmoother& smoother, const fg::FaceFinder& finder, val rgba,
                         val width, val height, val crop, val normalization) {
  return guarded([&] {
    const fg::CropSpec c = crop_spec_arg(crop);
    const fg::Normalization n = normalization_arg(normalization);
    const Pixels px = pixels_arg(rgba, width, height, fg::PixelFormat::RGBA8, "rgba");
    const fg::FaceBatch batch = fg::prepare_faces(smoother, finder, px.view, c, n);
    return blazeface_batch_out(batch);
  });
}

val scene_preset(val name) {
  return guarded(
      [&] { return scene_out(fg::scene_settings(fg::parse_scene(string_arg(name, "name")))); });
}

val letterbox_input(val pixels, val width, val height, val format, val region, val size) {
  return guarded([&] {
    const Pixels px = pixels_arg(pixels, width, height, format_arg(format), "pixels");
    return float32_array(
        fg::letterbox_input(px.view, box_arg(region, "region"), int_arg(size, "size")));
  });
}

val aligned_crop(val gray, val width, val height, val face, val spec) {
  return guarded([&] {
    const Pixels px = pixels_arg(gray, width, height, fg::PixelFormat::Gray8, "gray");
    return image_out(fg::aligned_crop(px.view, detection_arg(face, "face"), align_spec_arg(spec)));
  });
}

val estimate_pose(val face) {
  return guarded([&] {
    const fg::HeadPose p = fg::estimate_pose(detection_arg(face, "face"));
    val o = val::object();
    o.set("yaw", p.yaw);
    o.set("pitch", p.pitch);
    o.set("roll", p.roll);
    return o;
  });
}

// The project's split rule on a file's SHA-256 (hex): "train", "val" or "test".
val split_of_sha256(val sha256) {
  return guarded(
      [&] { return val(fg::to_string(fg::split_of_sha256(string_arg(sha256, "sha256")))); });
}

// prepare's dataset rules: {minFace, pose: {yaw, pitch, roll}}.
val dataset_rules() {
  const fg::FaceRules rules;
  val pose = val::object();
  pose.set("yaw", rules.pose.yaw);
  pose.set("pitch", rules.pose.pitch);
  pose.set("roll", rules.pose.roll);
  val o = val::object();
  o.set("minFace", rules.min_face);
  o.set("pose", pose);
  return o;
}

// A photo's faces (best first) against the dataset rules: {issue, detail}.
val check_faces(val faces, val width, val height) {
  return guarded([&] {
    if (!faces.isArray()) throw ArgumentTypeError("faces must be an array of detections");
    std::vector<fg::FaceDetection> list;
    const int count = faces["length"].as<int>();
    for (int i = 0; i < count; ++i)
      list.push_back(detection_arg(faces[i], "faces[" + std::to_string(i) + "]"));
    const fg::FaceCheck check =
        fg::check_faces(list, int_arg(width, "width"), int_arg(height, "height"));
    val o = val::object();
    o.set("issue", std::string(fg::to_string(check.issue)));
    o.set("detail", check.detail);
    return o;
  });
}

std::string core_version() {
  return std::string(fg::core_version());
}

}  // namespace

EMSCRIPTEN_BINDINGS(facegender) {
  using namespace emscripten;

  function("coreVersion", &core_version);

  function("toGray", &to_gray_rgba);
  function("toGray", &to_gray);
  function("resize", &resize_with<&fg::resize>);
  function("resizeArea", &resize_with<&fg::resize_area>);
  function("resizeBilinear", &resize_with<&fg::resize_bilinear>);
  function("squareCrop", &square_crop);
  function("cropFace", &crop_face);
  function("centerCrop", &center_crop);
  function("toTensor", &to_tensor);

  class_<fg::Cascade>("Cascade")
      .class_function("fromJson", &cascade_from_json)
      .property("windowWidth", &fg::Cascade::window_width)
      .property("windowHeight", &fg::Cascade::window_height)
      .property("stageCount", &fg::Cascade::stage_count)
      .function("detect", &cascade_detect)
      .function("detectCandidates", &cascade_detect_candidates);

  function("findFaces", &find_faces);
  function("estimateRoll", &estimate_roll);
  function("faceInputs", &face_inputs);

  class_<fg::FaceTracker>("FaceTracker")
      .class_function("create", &tracker_create)
      .function("faceInputs", &tracker_face_inputs)
      .function("reset", &fg::FaceTracker::reset)
      .property("lastWasFullSearch", &fg::FaceTracker::last_was_full_search);

  function("softmax", &softmax);
  function("formatLabel", &format_label);
  function("predict", &predict);
  function("parseModelSpec", &parse_model_spec);
  function("chooseModelOutput", &choose_model_output);
  function("outputProbabilities", &output_probabilities);

  class_<fg::FaceFinder>("FaceFinder")
      .class_function("fromBytes", &finder_from_bytes)
      .function("find", &finder_find)
      .function("faceInputs", &finder_face_inputs);
  class_<fg::FaceSmoother>("FaceSmoother")
      .class_function("create", &smoother_create)
      .function("faceInputs", &smoother_face_inputs)
      .function("smoothProbabilities", &smoother_smooth_probabilities)
      .function("reset", &fg::FaceSmoother::reset);
  function("scenePreset", &scene_preset);
  function("letterboxInput", &letterbox_input);
  function("alignedCrop", &aligned_crop);
  function("estimatePose", &estimate_pose);
  function("splitOfSha256", &split_of_sha256);
  function("datasetRules", &dataset_rules);
  function("checkFaces", &check_faces);
}
