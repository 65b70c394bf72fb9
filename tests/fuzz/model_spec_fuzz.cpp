// parse_model_spec on any metadata, then the crop and tensor it describes:
// what the browser and `facegender classify` do with a model's ONNX
// metadata_props. The input is "key=value" lines (split at the first '='),
// e.g. class_names=["female","male"]. Contract: a spec or InputError; a spec
// has >= 2 non-empty names, 0 < input <= size, margin >= 0 and std > 0, and
// using it fails only with InputError.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "facegender/pipeline.hpp"
#include "facegender/postprocess.hpp"
#include "fuzz_support.hpp"

using namespace facegender;

namespace {

std::map<std::string, std::string> metadata_of(std::string_view text) {
  std::map<std::string, std::string> metadata;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const std::size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      metadata[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return metadata;
}

const Image& photo() {
  static const Image image = [] {
    Image img(96, 80, PixelFormat::Gray8);
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x)
        img.row(y)[x] = static_cast<std::uint8_t>(x * 3 + y * 5);
    return img;
  }();
  return image;
}

FaceDetection face() {
  FaceDetection f{30, 20, 36, 40, {}, 0.9f};
  f.keypoints[kRightEye] = {40, 32};
  f.keypoints[kLeftEye] = {56, 33};
  f.keypoints[kNoseTip] = {48, 42};
  f.keypoints[kMouth] = {48, 52};
  f.keypoints[kRightEar] = {31, 36};
  f.keypoints[kLeftEar] = {65, 37};
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto metadata = metadata_of(std::string_view(reinterpret_cast<const char*>(data), size));
  ModelSpec spec;
  try {
    spec = parse_model_spec(metadata);
  } catch (const InputError& e) {
    fuzz::rejected(e);
    return 0;
  }
  fuzz::accepted("model spec");
  fuzz::check(spec.class_names.size() >= 2, "a spec with fewer than two class names");
  for (const std::string& name : spec.class_names)
    fuzz::check(!name.empty(), "an empty class name");
  fuzz::check(spec.crop.size > 0 && spec.crop.input > 0 && spec.crop.input <= spec.crop.size &&
                  spec.crop.margin >= 0.0,
              "a spec whose crop parse_model_spec promised to refuse");
  fuzz::check(spec.normalization.std > 0.0f, "a spec with a non-positive std");
  fuzz::check(spec.detector == "haar" || spec.detector == "blazeface", "an unknown detector");

  // What a client does next. The box crop's size has no upper bound in the
  // metadata (a 40000-pixel crop is 1.6 GB per face), so only sizes a model
  // could use are cut here.
  if (spec.crop_spec.kind == CropKind::Box && spec.crop.size > 1024) return 0;
  try {
    const Image input = face_input(photo().view(), face(), spec.crop_spec);
    fuzz::check(input.width() == spec.crop_spec.input() && input.height() == spec.crop_spec.input(),
                "face_input's size differs from the spec's input");
    const std::vector<float> tensor = to_tensor(input.view(), spec.normalization);
    std::vector<float> uniform(spec.class_names.size(),
                               1.0f / static_cast<float>(spec.class_names.size()));
    (void)predict(uniform, spec.class_names);
    (void)tensor;
  } catch (const InputError& e) {
    fuzz::rejected(e);  // e.g. a margin over 4, or a mean that is not finite
  }
  return 0;
}
