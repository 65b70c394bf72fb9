// `facegender export`: a checkpoint -> an ONNX model for the browser, checked
// against LibTorch before it is written. The pieces are declared here for
// the tests; export_command.cpp implements them.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "classify/onnx_model.hpp"
#include "model/network.hpp"

namespace facegender::exporting {

// The largest difference allowed between OpenCV DNN's probabilities and the
// reference's; an export that exceeds it writes nothing.
inline constexpr double kParityTolerance = 1e-5;
// Feature maps are not normalised, so they are compared relative to their
// largest magnitude.
inline constexpr double kFeatureParityTolerance = 1e-4;

struct ExportOptions {
  std::string checkpoint;  // run folder, or a checkpoint's .json / .safetensors
  std::string out;         // the .onnx to write
  int opset = 13;
  bool feature_maps = false;
  std::vector<std::string> check_photos;  // photos / folders whose faces join the parity check
  std::string cascades;                   // for the check photos
  int random_inputs = 8;
  std::uint64_t seed = 2017;  // for the random inputs
};

struct Parity {
  int inputs = 0;
  // Max abs diff, OpenCV DNN vs the float64 reference: the gate.
  double probabilities = 0.0;
  // Max abs diff, OpenCV DNN vs LibTorch in float32, as trained; shown, not
  // gated: on the seed network's 13M weights float32 LibTorch is itself
  // about 1e-5 away from float64 when the logits are decisive.
  double probabilities_float32 = 0.0;
  double features = 0.0;           // max abs diff over every feature map (vs float64)
  double features_relative = 0.0;  // the same over each map's largest magnitude
};

struct ExportReport {
  std::string out;
  std::size_t bytes = 0;
  std::int64_t parameters = 0;
  Parity random;  // random pixel inputs
  Parity photos;  // faces from --check-photos
  int photo_count = 0;
  std::vector<std::string> warnings;
};

// The LibTorch network of a checkpoint twice: in float32 as trained, and in
// float64, the exact function the ONNX model is held to.
struct LibTorchReference {
  Network float32;
  Network float64;
};
LibTorchReference libtorch_reference(const Architecture& architecture, const TensorFile& weights,
                                     const std::string& source);

// OpenCV DNN (`model`) against LibTorch (eval mode, softmax) on `count`
// inputs in `tensor`; with `feature_maps`, every features_<conv> output too.
Parity compare_with_libtorch(LibTorchReference& reference, OnnxModel& model,
                             std::span<const float> tensor, int count, bool feature_maps);

// Reads the checkpoint, builds and checks the ONNX model, compares it with
// LibTorch, and writes it atomically only when every check passes. Progress
// and figures go to `log`. Throws std::runtime_error.
ExportReport export_onnx(const ExportOptions& options, std::ostream& log);

}  // namespace facegender::exporting
