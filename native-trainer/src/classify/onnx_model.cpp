#include "classify/onnx_model.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "common/files.hpp"
#include "export/onnx_writer.hpp"

namespace facegender {
namespace {

[[noreturn]] void unusable(const std::string& source, const std::string& problem) {
  throw std::runtime_error(source + ": not a usable facegender ONNX model: " + problem);
}

onnx::ModelProto parse_model_proto(const std::string& bytes, const std::string& source) {
  onnx::ModelProto model;
  // Protobuf happily parses many non-ONNX byte strings as a message with
  // unknown fields, so a model also needs a graph with inputs and outputs.
  if (bytes.empty() || !model.ParseFromString(bytes)) unusable(source, "not an ONNX protobuf");
  if (!model.has_graph() || model.graph().input_size() == 0 || model.graph().output_size() == 0 ||
      model.graph().node_size() == 0) {
    unusable(source, "no graph with inputs, outputs and nodes (not an ONNX model?)");
  }
  return model;
}

// The input's fixed side from its declared [N,1,S,S] shape, or 0 when the
// model leaves it open.
int declared_input_side(const onnx::ValueInfoProto& input, const std::string& source) {
  if (!input.type().has_tensor_type() || !input.type().tensor_type().has_shape()) return 0;
  const onnx::TensorShapeProto& shape = input.type().tensor_type().shape();
  if (shape.dim_size() != 4) {
    unusable(source, "input \"" + input.name() + "\" is not 4-dimensional [N,1,S,S]");
  }
  const auto fixed = [&](int i) {
    return shape.dim(i).has_dim_value() ? shape.dim(i).dim_value() : std::int64_t{0};
  };
  if ((fixed(1) != 0 && fixed(1) != 1) || fixed(2) != fixed(3)) {
    unusable(source, "input \"" + input.name() + "\" is not [N,1,S,S]");
  }
  return static_cast<int>(fixed(2));
}

std::vector<std::string> graph_output_names(const onnx::GraphProto& graph) {
  std::vector<std::string> names;
  for (const onnx::ValueInfoProto& output : graph.output()) names.push_back(output.name());
  return names;
}

// The output classify reads goes first.
void put_first(std::vector<std::string>& names, const std::string& name) {
  const auto found = std::find(names.begin(), names.end(), name);
  if (found != names.end()) std::rotate(names.begin(), found, found + 1);
}

}  // namespace

OnnxModel OnnxModel::load(const std::string& path) {
  return from_bytes(read_file(path), path);
}

OnnxModel OnnxModel::from_bytes(const std::string& bytes, const std::string& source) {
  const onnx::ModelProto proto = parse_model_proto(bytes, source);
  OnnxModel model;
  model.source_ = source;
  model.metadata_ = onnx_metadata(proto);
  try {
    model.spec_ = parse_model_spec(model.metadata_);
  } catch (const std::exception& e) {
    unusable(source, e.what());
  }
  const onnx::ValueInfoProto& input = proto.graph().input(0);
  model.input_name_ = input.name();
  const int declared = declared_input_side(input, source);
  model.input_size_ = declared != 0 ? declared : model.spec_.crop.input;
  if (model.input_size_ != model.spec_.crop.input) {
    unusable(source, "its input is " + std::to_string(model.input_size_) +
                         " pixels but its metadata crops " +
                         std::to_string(model.spec_.crop.input));
  }
  model.output_names_ = graph_output_names(proto.graph());
  try {
    const ModelOutput output = choose_model_output(model.output_names_, model.metadata_);
    model.output_name_ = output.name;
    model.output_kind_ = output.kind;
  } catch (const InputError& e) {
    unusable(source, e.what());
  }
  put_first(model.output_names_, model.output_name_);
  try {
    model.net_ = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  } catch (const cv::Exception& e) {
    unusable(source, "OpenCV DNN cannot load it: " + e.err);
  }
  if (model.net_.empty()) unusable(source, "OpenCV DNN loaded an empty network");
  model.check_output_shape();
  return model;
}

// At load, not per photo: a model whose output does not hold one value per
// class is refused before any photo is read.
void OnnxModel::check_output_shape() {
  const std::vector<float> blank(static_cast<std::size_t>(input_size_) * input_size_, 0.0f);
  const cv::Mat output = run(blank, 1, {output_name_}).front();
  const std::size_t classes = spec_.class_names.size();
  if (output.dims != 2 || output.size[0] != 1 ||
      static_cast<std::size_t>(output.size[1]) != classes) {
    std::size_t values = output.total();
    unusable(source_, "its output \"" + output_name_ + "\" gives " + std::to_string(values) +
                          " values per face, but its metadata names " + std::to_string(classes) +
                          " classes");
  }
}

std::vector<cv::Mat> OnnxModel::run(std::span<const float> tensor, int count,
                                    const std::vector<std::string>& outputs) {
  const std::size_t plane = static_cast<std::size_t>(input_size_) * input_size_;
  if (count <= 0 || tensor.size() != plane * static_cast<std::size_t>(count)) {
    throw std::invalid_argument(source_ + ": expected " + std::to_string(count) + " inputs of " +
                                std::to_string(input_size_) + "x" + std::to_string(input_size_) +
                                ", got " + std::to_string(tensor.size()) + " values");
  }
  const int sizes[] = {count, 1, input_size_, input_size_};
  cv::Mat blob(4, sizes, CV_32F);
  std::memcpy(blob.ptr<float>(), tensor.data(), tensor.size_bytes());
  std::vector<cv::Mat> results;
  try {
    net_.setInput(blob, input_name_);
    net_.forward(results, outputs);
  } catch (const cv::Exception& e) {
    throw std::runtime_error(source_ + ": OpenCV DNN failed to run the model: " + e.err);
  }
  // OpenCV reuses its output buffers on the next forward.
  for (cv::Mat& result : results) result = result.clone();
  return results;
}

std::vector<std::vector<float>> OnnxModel::classify(std::span<const float> tensor, int count) {
  const cv::Mat output = run(tensor, count, {output_name_}).front();
  const int classes = static_cast<int>(spec_.class_names.size());
  if (output.dims != 2 || output.size[0] != count || output.size[1] != classes) {
    throw std::runtime_error(source_ + ": output \"" + output_name_ + "\" is not [" +
                             std::to_string(count) + "," + std::to_string(classes) + "]");
  }
  std::vector<std::vector<float>> probabilities;
  for (int row = 0; row < count; ++row) {
    const float* values = output.ptr<float>(row);
    try {
      probabilities.push_back(
          output_probabilities(std::span<const float>(values, static_cast<std::size_t>(classes)),
                               output_kind_, static_cast<std::size_t>(classes), spec_.temperature));
    } catch (const InputError& e) {
      throw std::runtime_error(source_ + ": " + e.what());
    }
  }
  return probabilities;
}

}  // namespace facegender
