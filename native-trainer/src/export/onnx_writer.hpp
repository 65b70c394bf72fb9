// An Architecture and its weights written as an ONNX model with libonnx's
// protobuf classes. Torch-free: it works from the same layer list the LibTorch
// network is built from, so the exported graph is the trained one by
// construction, and the tests can build models without LibTorch.
//
// The graph: input "input" [N,1,S,S] float32 (N symbolic) -> the layers ->
// Softmax(axis=1) -> output "probabilities" [N,classes]. BatchNorm that
// directly follows a Conv is folded into it; Dropout is left out.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/safetensors.hpp"
#include "model/architecture.hpp"

namespace facegender {

inline constexpr int kMinOnnxOpset = 13;  // Softmax's axis means "this axis" from 13 on
inline constexpr int kMaxOnnxOpset = 17;  // the newest libonnx 1.12 knows
inline constexpr const char* kOnnxInputName = "input";
inline constexpr const char* kOnnxOutputName = "probabilities";
inline constexpr const char* kFeatureMapPrefix = "features_";
inline constexpr double kBatchNormEpsilon = 1e-5;  // LibTorch's BatchNorm2d default

struct OnnxExportOptions {
  int opset = kMinOnnxOpset;
  // Adds every Conv's activation (after its ReLU) as an output named
  // "features_<conv name>", for the browser's inspector.
  bool feature_maps = false;
  std::map<std::string, std::string> metadata;  // becomes metadata_props
};

// One feature-map output: the Conv it belongs to and its [channels, height,
// width] for one input image.
struct FeatureMapOutput {
  std::string conv_name;
  std::string output_name;
  int channels = 0;
  int height = 0;
  int width = 0;
};

// The feature-map outputs an export with feature_maps would add, in layer
// order. Throws std::runtime_error when the layer sizes do not chain.
std::vector<FeatureMapOutput> feature_map_outputs(const Architecture& architecture);

// Builds the model. `source` names the weights in errors (a missing or
// mis-shaped tensor, an opset outside [13, 17], an architecture whose sizes do
// not chain). Tensors in `weights` that no layer uses (optimizer state) are
// ignored.
onnx::ModelProto build_onnx_model(const Architecture& architecture, const TensorFile& weights,
                                  const OnnxExportOptions& options, const std::string& source);

// onnx::checker::check_model, then strict shape inference, which also
// confirms the declared output shapes and records the inferred intermediate
// shapes in the graph's value_info. Throws std::runtime_error.
void check_onnx_model(onnx::ModelProto& model);

// The metadata_props an exported model carries, from a checkpoint's JSON state
// ("classes", "crop", "normalization", "config", "metrics", "data"); missing
// parts get defaults (crop {0.2, 100, input size}, normalisation {0, 1},
// classes "class0".."classN-1"), and each default used is described in
// `warnings`. Throws std::runtime_error when the state contradicts the
// architecture (class count, crop input vs input size).
std::map<std::string, std::string> onnx_metadata_from_state(const Architecture& architecture,
                                                            const nlohmann::json& state,
                                                            std::vector<std::string>& warnings);

// metadata_props as a map.
std::map<std::string, std::string> onnx_metadata(const onnx::ModelProto& model);

// The serialized bytes; throws std::runtime_error when protobuf refuses.
std::string serialize_onnx_model(const onnx::ModelProto& model);

}  // namespace facegender
