// An exported facegender model, run with OpenCV DNN (no LibTorch): what
// `facegender classify` uses, and what `facegender export` checks its output
// against. The metadata the core needs (class names, crop, normalisation) is
// read from the ONNX ModelProto itself, so a model and the code that feeds it
// cannot disagree.
#pragma once

#include <cstdint>
#include <map>
#include <opencv2/dnn.hpp>
#include <span>
#include <string>
#include <vector>

#include "facegender/postprocess.hpp"

namespace facegender {

class OnnxModel {
 public:
  // Both throw std::runtime_error naming `path` / `source` when the bytes are
  // not an ONNX model, lack the facegender metadata, have an output that is
  // neither probabilities nor logits or does not give one value per class,
  // or OpenCV cannot load them.
  static OnnxModel load(const std::string& path);
  static OnnxModel from_bytes(const std::string& bytes, const std::string& source);

  const std::string& source() const { return source_; }
  const ModelSpec& spec() const { return spec_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  int input_size() const { return input_size_; }
  const std::string& output_name() const { return output_name_; }
  // Every graph output, the one classify reads (choose_model_output) first.
  const std::vector<std::string>& output_names() const { return output_names_; }

  // `tensor` holds `count` inputs of 1 x input_size x input_size (NCHW).
  // Returns count x classes probabilities (the softmax of a logits output).
  std::vector<std::vector<float>> classify(std::span<const float> tensor, int count);

  // The named outputs for `count` inputs, as OpenCV blobs (N first).
  std::vector<cv::Mat> run(std::span<const float> tensor, int count,
                           const std::vector<std::string>& outputs);

 private:
  OnnxModel() = default;
  void check_output_shape();

  std::string source_;
  ModelSpec spec_;
  std::map<std::string, std::string> metadata_;
  int input_size_ = 0;
  std::string input_name_;
  std::string output_name_;
  OutputKind output_kind_ = OutputKind::Probabilities;
  std::vector<std::string> output_names_;
  cv::dnn::Net net_;
};

}  // namespace facegender
