// A small float32 network interpreter for the face detector: the operators of
// MediaPipe's BlazeFace models (convolution, depthwise convolution, max pool,
// add, ReLU, pad, reshape, concatenation, bilinear resize), NHWC, batch 1.
// Every output element is computed by the same IEEE operations in the same
// order in every build (no fused multiply-add, no reassociation; loops are
// vectorised only across independent outputs), so the native and the
// WebAssembly builds give bit-identical results.
//
// Networks come from .fgnet files that shared/tools/tflite_to_fgnet writes at
// build time from the .tflite models.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace facegender {

// A float32 tensor, NHWC (or any shape the graph gives it), tightly packed.
struct Tensor {
  std::vector<int> shape;
  std::vector<float> data;
};

struct InferenceNetworkData;

class InferenceNetwork {
 public:
  // Throws InputError naming `source` when the bytes are not a valid .fgnet
  // (bad magic, truncated, malformed header, an unknown operator, shapes that
  // do not fit the operators, constants out of range).
  static InferenceNetwork from_bytes(std::span<const std::uint8_t> bytes,
                                     const std::string& source);
  // Reads the file at `path`; throws InputError naming it when unreadable.
  static InferenceNetwork from_file(const std::string& path);

  // The input's shape, e.g. {1, 128, 128, 3}.
  const std::vector<int>& input_shape() const;

  // Runs the graph on `input` (as many floats as input_shape holds) and
  // returns its outputs in the graph's order. Throws InputError when the
  // input has the wrong size. Safe to call from several threads at once.
  std::vector<Tensor> run(std::span<const float> input) const;

  // Multiply-adds of one run (convolutions only), for benchmarks.
  std::int64_t multiply_adds() const;

 private:
  explicit InferenceNetwork(std::shared_ptr<const InferenceNetworkData> data);
  std::shared_ptr<const InferenceNetworkData> data_;
};

}  // namespace facegender
