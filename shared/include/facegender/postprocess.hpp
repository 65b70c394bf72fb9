// From model outputs to what a person reads: probabilities, class names and
// "female 97.3%" labels. Also reads the model metadata the core needs.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "facegender/align.hpp"
#include "facegender/preprocess.hpp"

namespace facegender {

// Numerically stable softmax.
std::vector<float> softmax(std::span<const float> logits);

// "female 97.3%": the name and the probability in percent, one decimal.
std::string format_label(std::string_view class_name, float probability);

struct Prediction {
  int class_index = -1;
  std::string class_name;
  float confidence = 0.0f;
  std::string label;  // format_label(class_name, confidence)
};

// Picks the most probable class. Throws InputError when the sizes disagree or
// a probability is not finite.
Prediction predict(std::span<const float> probabilities,
                   const std::vector<std::string>& class_names);

// What the core needs to know about a model, from its ONNX metadata_props.
struct ModelSpec {
  std::vector<std::string> class_names;  // "class_names": JSON array of strings
  // "crop": {"margin":0.2,"size":100,"input":80} (a box crop), or
  // {"kind":"aligned","scale":4.2,"shift":0.2,"size":80} (the aligned crop).
  CropGeometry crop;  // the box crop's geometry (kind Box)
  CropSpec crop_spec;
  // "detector": what found the faces the model was trained on: "haar" (the
  // default: models made before BlazeFace) or "blazeface".
  std::string detector = "haar";
  Normalization normalization;  // "normalization": {"mean":0,"std":1}
  // "temperature": the logits are divided by it before the softmax (fitted on
  // validation data so that "90%" is right about 90% of the time); 1 when
  // absent.
  float temperature = 1.0f;
};

// What a model's output holds.
enum class OutputKind { Probabilities, Logits };

struct ModelOutput {
  std::string name;
  OutputKind kind = OutputKind::Probabilities;
};

// The one rule both builds read a model's output by: an output named
// "probabilities" holds probabilities; else one named "logits" holds logits;
// else the metadata key "output" ("probabilities" or "logits") says what the
// first output holds. Throws InputError when no rule applies or "output" has
// another value.
ModelOutput choose_model_output(const std::vector<std::string>& output_names,
                                const std::map<std::string, std::string>& metadata);

// Probabilities as the softmax of their logits divided by `temperature`
// (log p stands in for the logits: softmax(log p / T) = softmax(z / T)).
// A temperature of 1 returns them unchanged. Throws InputError when the
// temperature is not positive and finite.
std::vector<float> apply_temperature(std::span<const float> probabilities, float temperature);

// One face's row of that output as calibrated probabilities: the softmax of
// logits / temperature, or the probabilities once checked, with the
// temperature applied. Throws InputError when the row does not hold
// `classes` values, a value is not finite, probabilities lie outside [0, 1]
// or do not sum to 1 (within 1e-3), or the temperature is not positive.
std::vector<float> output_probabilities(std::span<const float> row, OutputKind kind,
                                        std::size_t classes, float temperature = 1.0f);

// Throws InputError naming the key when one is missing or malformed.
ModelSpec parse_model_spec(const std::map<std::string, std::string>& metadata);

// The version of this core's preprocessing; models record it.
std::string_view core_version();

}  // namespace facegender
