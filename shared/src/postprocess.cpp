#include "facegender/postprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "json_number.hpp"
#include "portable_math.hpp"

namespace facegender {

std::vector<float> softmax(std::span<const float> logits) {
  if (logits.empty()) throw InputError("softmax: no logits");
  for (float v : logits) {
    if (!std::isfinite(v)) throw InputError("softmax: logits must be finite");
  }
  const float top = *std::max_element(logits.begin(), logits.end());
  std::vector<float> out(logits.size());
  float total = 0.0f;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    out[i] = static_cast<float>(detail::portable_exp(static_cast<double>(logits[i]) - top));
    total += out[i];
  }
  for (float& v : out) v /= total;
  return out;
}

ModelOutput choose_model_output(const std::vector<std::string>& output_names,
                                const std::map<std::string, std::string>& metadata) {
  if (output_names.empty()) throw InputError("model: it has no outputs");
  for (const char* name : {"probabilities", "logits"}) {
    if (std::find(output_names.begin(), output_names.end(), name) != output_names.end()) {
      return {name,
              std::string_view(name) == "logits" ? OutputKind::Logits : OutputKind::Probabilities};
    }
  }
  const auto declared = metadata.find("output");
  if (declared == metadata.end()) {
    throw InputError("model: its output \"" + output_names.front() +
                     "\" is named neither \"probabilities\" nor \"logits\", and its metadata has "
                     "no \"output\" key saying which it holds");
  }
  if (declared->second == "probabilities") return {output_names.front(), OutputKind::Probabilities};
  if (declared->second == "logits") return {output_names.front(), OutputKind::Logits};
  throw InputError("model metadata: \"output\" is \"" + declared->second +
                   "\", not \"probabilities\" or \"logits\"");
}

namespace {

void require_temperature(float temperature) {
  if (!std::isfinite(temperature) || !(temperature > 0.0f))
    throw InputError("temperature must be a positive finite number, got " +
                     std::to_string(temperature));
}

}  // namespace

std::vector<float> apply_temperature(std::span<const float> probabilities, float temperature) {
  require_temperature(temperature);
  if (temperature == 1.0f) return {probabilities.begin(), probabilities.end()};
  std::vector<float> scaled;
  scaled.reserve(probabilities.size());
  // The smallest normal float keeps log finite for a probability that
  // underflowed to 0.
  for (const float p : probabilities)
    scaled.push_back(static_cast<float>(
        detail::portable_log(static_cast<double>(std::max(p, std::numeric_limits<float>::min()))) /
        static_cast<double>(temperature)));
  return softmax(scaled);
}

std::vector<float> output_probabilities(std::span<const float> row, OutputKind kind,
                                        std::size_t classes, float temperature) {
  require_temperature(temperature);
  if (row.size() != classes) {
    throw InputError("model output: " + std::to_string(row.size()) + " values for " +
                     std::to_string(classes) + " classes");
  }
  if (kind == OutputKind::Logits) {
    std::vector<float> scaled(row.begin(), row.end());
    for (float& z : scaled) {
      if (!std::isfinite(z)) throw InputError("model output: a logit is not finite");
      z /= temperature;
    }
    return softmax(scaled);
  }
  double total = 0.0;
  for (const float p : row) {
    if (!std::isfinite(p) || p < 0.0f || p > 1.0f) {
      throw InputError("model output: " + std::to_string(p) +
                       " is not a probability (is the output logits?)");
    }
    total += p;
  }
  if (std::abs(total - 1.0) > 1e-3) {
    throw InputError("model output: probabilities sum to " + std::to_string(total) +
                     ", not 1 (is the output logits?)");
  }
  return apply_temperature(row, temperature);
}

std::string format_label(std::string_view class_name, float probability) {
  char percent[32];
  std::snprintf(percent, sizeof percent, "%.1f%%", static_cast<double>(probability) * 100.0);
  return std::string(class_name) + " " + percent;
}

Prediction predict(std::span<const float> probabilities,
                   const std::vector<std::string>& class_names) {
  if (probabilities.empty() || probabilities.size() != class_names.size()) {
    throw InputError("predict: " + std::to_string(probabilities.size()) + " probabilities for " +
                     std::to_string(class_names.size()) + " class names");
  }
  for (float p : probabilities) {
    if (!std::isfinite(p)) throw InputError("predict: probabilities must be finite");
  }
  const auto best = std::max_element(probabilities.begin(), probabilities.end());
  Prediction prediction;
  prediction.class_index = static_cast<int>(best - probabilities.begin());
  prediction.class_name = class_names[static_cast<std::size_t>(prediction.class_index)];
  prediction.confidence = *best;
  prediction.label = format_label(prediction.class_name, prediction.confidence);
  return prediction;
}

namespace {

using nlohmann::json;

json metadata_json(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) throw InputError("model metadata: key \"" + key + "\" is missing");
  try {
    return json::parse(it->second);
  } catch (const json::exception& e) {
    throw InputError("model metadata: \"" + key + "\" is not valid JSON: " + e.what());
  }
}

}  // namespace

ModelSpec parse_model_spec(const std::map<std::string, std::string>& metadata) {
  ModelSpec spec;
  const json names = metadata_json(metadata, "class_names");
  if (!names.is_array() || names.size() < 2) {
    throw InputError("model metadata: \"class_names\" must be a JSON array of at least two names");
  }
  for (const json& name : names) {
    if (!name.is_string() || name.get<std::string>().empty()) {
      throw InputError(
          "model metadata: \"class_names\" holds something that is not a non-empty string");
    }
    spec.class_names.push_back(name.get<std::string>());
  }
  try {
    const json crop = metadata_json(metadata, "crop");
    if (crop.value("kind", "box") == "aligned") {
      spec.crop_spec.kind = CropKind::Aligned;
      spec.crop_spec.aligned = {crop.at("scale").get<double>(), crop.at("shift").get<double>(),
                                detail::json_integer<int>(crop.at("size"))};
      spec.crop = {0.0, spec.crop_spec.aligned.size, spec.crop_spec.aligned.size};
    } else {
      spec.crop.margin = crop.at("margin").get<double>();
      spec.crop.size = detail::json_integer<int>(crop.at("size"));
      spec.crop.input = detail::json_integer<int>(crop.at("input"));
    }
    spec.crop_spec.box = spec.crop;
    const json norm = metadata_json(metadata, "normalization");
    spec.normalization.mean = norm.at("mean").get<float>();
    spec.normalization.std = norm.at("std").get<float>();
  } catch (const json::exception& e) {
    throw InputError(std::string("model metadata: \"crop\" or \"normalization\" is malformed: ") +
                     e.what());
  }
  if (spec.crop.size <= 0 || spec.crop.input <= 0 || spec.crop.input > spec.crop.size ||
      !(spec.crop.margin >= 0.0)) {
    throw InputError("model metadata: \"crop\" needs margin >= 0 and 0 < input <= size");
  }
  if (const auto it = metadata.find("detector"); it != metadata.end()) {
    if (it->second != "haar" && it->second != "blazeface") {
      throw InputError("model metadata: \"detector\" must be \"haar\" or \"blazeface\", not \"" +
                       it->second + "\"");
    }
    spec.detector = it->second;
  }
  if (spec.crop_spec.kind == CropKind::Aligned) {
    FaceDetection probe;
    probe.keypoints[kLeftEye] = {1, 0};
    aligned_square(probe, spec.crop_spec.aligned);  // throws InputError when out of range
  }
  if (!(spec.normalization.std > 0.0f))
    throw InputError("model metadata: normalisation std must be positive");
  if (const auto it = metadata.find("temperature"); it != metadata.end()) {
    const json t = metadata_json(metadata, "temperature");
    if (!t.is_number() || !std::isfinite(t.get<double>()) || !(t.get<double>() > 0) ||
        t.get<double>() > 1e3)
      throw InputError("model metadata: \"temperature\" must be a number in (0, 1000], not " +
                       it->second);
    spec.temperature = t.get<float>();
  }
  return spec;
}

std::string_view core_version() {
  return "facegender-core 1.0 (gray bt601-q15, resize area-exact/linear-exact-q8, crop "
         "square-replicate)";
}

}  // namespace facegender
