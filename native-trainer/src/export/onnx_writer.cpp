#include "export/onnx_writer.hpp"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "facegender/postprocess.hpp"

namespace facegender {
namespace {

using nlohmann::json;

// ONNX raw_data is little-endian; the tensors are copied byte for byte.
static_assert(std::endian::native == std::endian::little, "raw_data copies assume little-endian");

// The value flowing between layers, for one image: C x H x W, or C features
// once flattened.
struct ValueShape {
  bool flat = false;
  int channels = 1;
  int height = 0;
  int width = 0;
  int features() const { return flat ? channels : channels * height * width; }
};

std::string describe(const Architecture& architecture, std::size_t index) {
  const Layer& layer = architecture.layers[index];
  std::string text = "architecture " + architecture.name + ", layer " + std::to_string(index) +
                     " (" + to_string(layer.op);
  if (!layer.name.empty()) text += " " + layer.name;
  return text + ")";
}

[[noreturn]] void reject_layer(const Architecture& architecture, std::size_t index,
                               const std::string& problem) {
  throw std::runtime_error(describe(architecture, index) + ": " + problem);
}

bool has_padding(const Layer& layer) {
  return layer.pad[0] != 0 || layer.pad[1] != 0 || layer.pad[2] != 0 || layer.pad[3] != 0;
}

// Output side of a window op (floor mode, as LibTorch's defaults).
int window_output(int input, int before, int after, int kernel, int stride) {
  return (input + before + after - kernel) / stride + 1;
}

ValueShape apply_window(const Architecture& architecture, std::size_t index, ValueShape shape) {
  const Layer& layer = architecture.layers[index];
  if (shape.flat) reject_layer(architecture, index, "needs an image, gets flat features");
  if (layer.kernel <= 0 || layer.stride <= 0) {
    reject_layer(architecture, index, "kernel and stride must be positive");
  }
  shape.height =
      window_output(shape.height, layer.pad[0], layer.pad[2], layer.kernel, layer.stride);
  shape.width = window_output(shape.width, layer.pad[1], layer.pad[3], layer.kernel, layer.stride);
  if (shape.height <= 0 || shape.width <= 0) {
    reject_layer(architecture, index, "its window is larger than its input");
  }
  return shape;
}

void expect_inputs(const Architecture& architecture, std::size_t index, int expected, int actual) {
  if (expected != actual) {
    reject_layer(architecture, index,
                 "expects " + std::to_string(expected) + " inputs, gets " + std::to_string(actual));
  }
}

// The shape after each layer; checks that the layer sizes chain, so a broken
// architecture fails here with the layer's name rather than deep in the
// checker.
std::vector<ValueShape> trace_shapes(const Architecture& architecture) {
  if (architecture.input_size <= 0) {
    throw std::runtime_error("architecture " + architecture.name + ": input size must be positive");
  }
  ValueShape shape{false, 1, architecture.input_size, architecture.input_size};
  std::vector<ValueShape> after;
  for (std::size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    switch (layer.op) {
      case LayerOp::Conv:
        if (shape.flat) reject_layer(architecture, i, "needs an image, gets flat features");
        expect_inputs(architecture, i, layer.in, shape.channels);
        shape = apply_window(architecture, i, shape);
        shape.channels = layer.out;
        break;
      case LayerOp::BatchNorm:
        if (shape.flat) reject_layer(architecture, i, "needs an image, gets flat features");
        expect_inputs(architecture, i, layer.out, shape.channels);
        break;
      case LayerOp::MaxPool:
      case LayerOp::AvgPool:
        // The LibTorch network pools without padding; refuse rather than
        // export a graph that differs from the trained one.
        if (has_padding(layer)) reject_layer(architecture, i, "padded pooling is not supported");
        shape = apply_window(architecture, i, shape);
        break;
      case LayerOp::GlobalAvgPool:
        if (shape.flat) reject_layer(architecture, i, "needs an image, gets flat features");
        shape.height = 1;
        shape.width = 1;
        break;
      case LayerOp::Flatten:
        shape = ValueShape{true, shape.features(), 1, 1};
        break;
      case LayerOp::Linear:
        if (!shape.flat) reject_layer(architecture, i, "needs flat features (add a Flatten)");
        expect_inputs(architecture, i, layer.in, shape.features());
        shape.channels = layer.out;
        break;
      case LayerOp::Relu:
      case LayerOp::Dropout:
        break;
    }
    after.push_back(shape);
  }
  if (!shape.flat || shape.channels != architecture.classes) {
    throw std::runtime_error("architecture " + architecture.name + ": the last layer gives " +
                             std::to_string(shape.features()) +
                             " values, not one logit per class (" +
                             std::to_string(architecture.classes) + ")");
  }
  return after;
}

// Mirrors NetworkImpl::run: a ReLU that comes after a Conv (with only
// non-ReLU layers between) is that Conv's feature map.
template <typename Visit>
void for_each_feature_relu(const Architecture& architecture, Visit visit) {
  std::string last_conv;
  bool after_conv = false;
  for (std::size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    if (layer.op == LayerOp::Conv) {
      last_conv = layer.name;
      after_conv = true;
    } else if (layer.op == LayerOp::Relu) {
      if (after_conv) visit(i, last_conv);
      after_conv = false;
    }
  }
}

// ---- protobuf helpers ----

void add_int(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  onnx::AttributeProto* attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::INT);
  attribute->set_i(value);
}

void add_float(onnx::NodeProto& node, const std::string& name, float value) {
  onnx::AttributeProto* attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::FLOAT);
  attribute->set_f(value);
}

void add_ints(onnx::NodeProto& node, const std::string& name, std::vector<std::int64_t> values) {
  onnx::AttributeProto* attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t v : values) attribute->add_ints(v);
}

// A dimension: a fixed size or a symbolic name ("N").
using Dim = std::variant<std::int64_t, std::string>;

void declare_float_tensor(onnx::ValueInfoProto& info, const std::string& name,
                          const std::vector<Dim>& dims) {
  info.set_name(name);
  onnx::TypeProto_Tensor* tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = tensor->mutable_shape();
  for (const Dim& dim : dims) {
    onnx::TensorShapeProto_Dimension* d = shape->add_dim();
    if (const auto* size = std::get_if<std::int64_t>(&dim)) {
      d->set_dim_value(*size);
    } else {
      d->set_dim_param(std::get<std::string>(dim));
    }
  }
}

void add_initializer(onnx::GraphProto& graph, const std::string& name,
                     const std::vector<std::int64_t>& shape, const std::vector<float>& values) {
  onnx::TensorProto* tensor = graph.add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : shape) tensor->add_dims(d);
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  tensor->set_raw_data(std::move(bytes));
}

// Builds the graph layer by layer, tracking the name of the current value.
class GraphWriter {
 public:
  GraphWriter(onnx::GraphProto& graph, const Architecture& architecture, const TensorFile& weights,
              std::string source)
      : graph_(graph), architecture_(architecture), weights_(weights), source_(std::move(source)) {}

  void write(bool feature_maps) {
    shapes_ = trace_shapes(architecture_);
    if (feature_maps) {
      for_each_feature_relu(
          architecture_, [&](std::size_t i, const std::string& conv) { feature_relus_[i] = conv; });
    }
    declare_float_tensor(*graph_.add_input(), kOnnxInputName,
                         {std::string("N"), std::int64_t{1}, std::int64_t{architecture_.input_size},
                          std::int64_t{architecture_.input_size}});
    // The probabilities first: tools that take a model's first output get them.
    declare_float_tensor(*graph_.add_output(), kOnnxOutputName,
                         {std::string("N"), std::int64_t{architecture_.classes}});
    current_ = kOnnxInputName;
    std::size_t index = 0;
    while (index < architecture_.layers.size()) index += write_layer(index);
    add_int(simple_node("Softmax", kOnnxOutputName), "axis", 1);
  }

 private:
  // Writes layer `index`; returns how many layers it consumed (a Conv takes
  // the BatchNorm after it).
  std::size_t write_layer(std::size_t index) {
    const std::vector<Layer>& layers = architecture_.layers;
    const Layer& layer = layers[index];
    switch (layer.op) {
      case LayerOp::Conv: {
        const bool fold = index + 1 < layers.size() && layers[index + 1].op == LayerOp::BatchNorm;
        write_conv(layer, fold ? &layers[index + 1] : nullptr);
        return fold ? 2 : 1;
      }
      case LayerOp::BatchNorm:
        write_batch_norm(layer);
        break;
      case LayerOp::Relu:
        write_relu(index);
        break;
      case LayerOp::MaxPool:
      case LayerOp::AvgPool:
        write_pool(index);
        break;
      case LayerOp::GlobalAvgPool:
        simple_node("GlobalAveragePool", generated_name(index));
        break;
      case LayerOp::Flatten:
        add_int(simple_node("Flatten", generated_name(index)), "axis", 1);
        break;
      case LayerOp::Linear:
        write_linear(layer);
        break;
      case LayerOp::Dropout:
        break;  // identity at inference
    }
    return 1;
  }

  // A ReLU that ends a Conv's block is named features_<conv> and, when asked
  // for, is also a graph output.
  void write_relu(std::size_t index) {
    const auto feature = feature_relus_.find(index);
    if (feature == feature_relus_.end()) {
      simple_node("Relu", generated_name(index));
      return;
    }
    const std::string output = kFeatureMapPrefix + feature->second;
    simple_node("Relu", output);
    const ValueShape& s = shapes_[index];
    declare_float_tensor(*graph_.add_output(), output,
                         {std::string("N"), std::int64_t{s.channels}, std::int64_t{s.height},
                          std::int64_t{s.width}});
  }

  void write_pool(std::size_t index) {
    const Layer& layer = architecture_.layers[index];
    onnx::NodeProto& node = simple_node(layer.op == LayerOp::MaxPool ? "MaxPool" : "AveragePool",
                                        generated_name(index));
    add_ints(node, "kernel_shape", {layer.kernel, layer.kernel});
    add_ints(node, "strides", {layer.stride, layer.stride});
  }

  std::string generated_name(std::size_t index) const {
    return std::string(to_string(architecture_.layers[index].op)) + "_" + std::to_string(index);
  }

  // A node reading the current value; its output becomes the current value.
  onnx::NodeProto& simple_node(const std::string& op_type, const std::string& output,
                               const std::vector<std::string>& extra_inputs = {}) {
    onnx::NodeProto* node = graph_.add_node();
    node->set_op_type(op_type);
    node->set_name(output);
    node->add_input(current_);
    for (const std::string& input : extra_inputs) node->add_input(input);
    node->add_output(output);
    current_ = output;
    return *node;
  }

  const NamedTensor& tensor(const std::string& name, const std::vector<std::int64_t>& shape) const {
    const auto found = weights_.tensors.find(name);
    if (found == weights_.tensors.end()) {
      throw std::runtime_error(source_ + ": weight " + name + " is missing");
    }
    if (found->second.shape != shape) {
      throw std::runtime_error(source_ + ": weight " + name +
                               " has the wrong shape for architecture " + architecture_.name);
    }
    return found->second;
  }

  void write_conv(const Layer& conv, const Layer* batch_norm) {
    const std::int64_t out = conv.out;
    const std::vector<std::int64_t> weight_shape = {out, conv.in, conv.kernel, conv.kernel};
    std::vector<float> weight = tensor(conv.name + ".weight", weight_shape).values;
    std::vector<float> bias = tensor(conv.name + ".bias", {out}).values;
    if (batch_norm != nullptr) fold_batch_norm(*batch_norm, weight, bias);
    add_initializer(graph_, conv.name + ".weight", weight_shape, weight);
    add_initializer(graph_, conv.name + ".bias", {out}, bias);
    onnx::NodeProto& node =
        simple_node("Conv", conv.name, {conv.name + ".weight", conv.name + ".bias"});
    add_ints(node, "kernel_shape", {conv.kernel, conv.kernel});
    add_ints(node, "strides", {conv.stride, conv.stride});
    // Both orders are [top, left, bottom, right]: begin of H, W then end.
    add_ints(node, "pads", {conv.pad[0], conv.pad[1], conv.pad[2], conv.pad[3]});
  }

  // Inference-time BatchNorm is an affine map per channel, so it folds into
  // the Conv before it: one node fewer for the browser, and the same numbers
  // (computed in double) up to float rounding.
  void fold_batch_norm(const Layer& bn, std::vector<float>& weight,
                       std::vector<float>& bias) const {
    const std::int64_t channels = bn.out;
    const std::vector<float>& gamma = tensor(bn.name + ".weight", {channels}).values;
    const std::vector<float>& beta = tensor(bn.name + ".bias", {channels}).values;
    const std::vector<float>& mean = tensor(bn.name + ".running_mean", {channels}).values;
    const std::vector<float>& var = tensor(bn.name + ".running_var", {channels}).values;
    if (static_cast<std::int64_t>(bias.size()) != channels) {
      throw std::runtime_error(source_ + ": " + bn.name + " does not match the Conv before it");
    }
    const std::size_t per_channel = weight.size() / bias.size();
    for (std::size_t c = 0; c < bias.size(); ++c) {
      const double scale = gamma[c] / std::sqrt(static_cast<double>(var[c]) + kBatchNormEpsilon);
      for (std::size_t k = 0; k < per_channel; ++k) {
        float& w = weight[c * per_channel + k];
        w = static_cast<float>(w * scale);
      }
      bias[c] = static_cast<float>((static_cast<double>(bias[c]) - mean[c]) * scale + beta[c]);
    }
  }

  // A BatchNorm that does not follow a Conv stays a BatchNormalization node.
  void write_batch_norm(const Layer& bn) {
    const std::int64_t channels = bn.out;
    const char* parts[] = {".weight", ".bias", ".running_mean", ".running_var"};
    std::vector<std::string> inputs;
    for (const char* part : parts) {
      add_initializer(graph_, bn.name + part, {channels},
                      tensor(bn.name + part, {channels}).values);
      inputs.push_back(bn.name + part);
    }
    add_float(simple_node("BatchNormalization", bn.name, inputs), "epsilon",
              static_cast<float>(kBatchNormEpsilon));
  }

  void write_linear(const Layer& linear) {
    const std::int64_t out = linear.out;
    const std::vector<std::int64_t> weight_shape = {out, linear.in};
    add_initializer(graph_, linear.name + ".weight", weight_shape,
                    tensor(linear.name + ".weight", weight_shape).values);
    add_initializer(graph_, linear.name + ".bias", {out},
                    tensor(linear.name + ".bias", {out}).values);
    // LibTorch stores [out, in]: Gemm multiplies by its transpose.
    add_int(simple_node("Gemm", linear.name, {linear.name + ".weight", linear.name + ".bias"}),
            "transB", 1);
  }

  onnx::GraphProto& graph_;
  const Architecture& architecture_;
  const TensorFile& weights_;
  std::string source_;
  std::string current_;
  std::vector<ValueShape> shapes_;                    // after each layer
  std::map<std::size_t, std::string> feature_relus_;  // layer index -> its conv's name
};

std::string class_list_description(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace

std::vector<FeatureMapOutput> feature_map_outputs(const Architecture& architecture) {
  const std::vector<ValueShape> shapes = trace_shapes(architecture);
  std::vector<FeatureMapOutput> outputs;
  for_each_feature_relu(architecture, [&](std::size_t i, const std::string& conv) {
    outputs.push_back(
        {conv, kFeatureMapPrefix + conv, shapes[i].channels, shapes[i].height, shapes[i].width});
  });
  return outputs;
}

onnx::ModelProto build_onnx_model(const Architecture& architecture, const TensorFile& weights,
                                  const OnnxExportOptions& options, const std::string& source) {
  if (options.opset < kMinOnnxOpset || options.opset > kMaxOnnxOpset) {
    throw std::runtime_error("opset " + std::to_string(options.opset) + " is not supported (" +
                             std::to_string(kMinOnnxOpset) + " to " +
                             std::to_string(kMaxOnnxOpset) + ")");
  }
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("facegender");
  model.set_producer_version(std::string(core_version()));
  model.set_model_version(1);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("facegender_" + architecture.name);
  GraphWriter(*graph, architecture, weights, source).write(options.feature_maps);

  std::map<std::string, std::string> metadata = options.metadata;
  if (options.feature_maps) {
    json names = json::array();
    for (const FeatureMapOutput& f : feature_map_outputs(architecture))
      names.push_back(f.output_name);
    metadata["feature_maps"] = names.dump();
  }
  for (const auto& [key, value] : metadata) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  std::string classes;
  if (const auto names = metadata.find("class_names"); names != metadata.end()) {
    classes = " over " +
              class_list_description(json::parse(names->second).get<std::vector<std::string>>());
  }
  model.set_doc_string("facegender " + architecture.name + ": [N,1," +
                       std::to_string(architecture.input_size) + "," +
                       std::to_string(architecture.input_size) +
                       "] normalised gray face crops -> probabilities" + classes +
                       ". It estimates apparent presentation from a face image; it does not "
                       "determine anyone's identity.");
  return model;
}

void check_onnx_model(onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
    // Strict: a node whose shapes cannot be inferred, or an output whose
    // declared shape disagrees with the inferred one, throws.
    const onnx::ShapeInferenceOptions strict(/*check_type_val=*/true, /*strict_mode_val=*/1);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the ONNX model fails its check: ") + e.what());
  }
}

std::map<std::string, std::string> onnx_metadata_from_state(const Architecture& architecture,
                                                            const json& state,
                                                            std::vector<std::string>& warnings) {
  json class_names = json::array();
  if (state.contains("classes") && state["classes"].is_array()) {
    class_names = state["classes"];
    if (static_cast<int>(class_names.size()) != architecture.classes) {
      throw std::runtime_error("the checkpoint names " + std::to_string(class_names.size()) +
                               " classes but its network has " +
                               std::to_string(architecture.classes));
    }
  } else {
    for (int i = 0; i < architecture.classes; ++i)
      class_names.push_back("class" + std::to_string(i));
    warnings.push_back("the checkpoint has no \"classes\"; naming them " + class_names.dump());
  }

  const json crop_state = state.value("crop", json::object());
  if (!state.contains("crop"))
    warnings.push_back("the checkpoint has no \"crop\"; using the default");
  const bool aligned = crop_state.value("kind", "box") == "aligned";
  const json crop = aligned ? crop_state
                            : json{{"margin", crop_state.value("margin", 0.2)},
                                   {"size", crop_state.value("size", 100)},
                                   {"input", crop_state.value("input", architecture.input_size)}};
  if (aligned && crop.value("size", 0) != architecture.input_size) {
    throw std::runtime_error(
        "the checkpoint's aligned crop size " + crop.value("size", json()).dump() +
        " differs from its network's input size " + std::to_string(architecture.input_size));
  }
  if (!aligned && crop["input"].get<int>() != architecture.input_size) {
    throw std::runtime_error("the checkpoint's crop input " + crop["input"].dump() +
                             " differs from its network's input size " +
                             std::to_string(architecture.input_size));
  }

  const json norm_state = state.value("normalization", json::object());
  if (!state.contains("normalization")) {
    warnings.push_back("the checkpoint has no \"normalization\"; using mean 0, std 1");
  }
  const json normalization = {{"mean", norm_state.value("mean", 0.0)},
                              {"std", norm_state.value("std", 1.0)}};

  std::map<std::string, std::string> metadata = {
      {"class_names", class_names.dump()},
      {"crop", crop.dump()},
      {"detector", state.value("detector", "haar")},
      {"normalization", normalization.dump()},
      {"input_size", std::to_string(architecture.input_size)},
      {"core_version", std::string(core_version())},
      {"architecture", architecture.name},
      {"training_data", state.value("data", json::object()).dump()},
      {"metrics", state.value("metrics", json::object()).dump()},
      {"hyperparameters", state.value("config", json::object()).dump()},
  };
  if (state.contains("temperature")) metadata["temperature"] = state["temperature"].dump();
  // Fail here, not in the browser: the metadata must be what the core reads.
  try {
    parse_model_spec(metadata);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the checkpoint's state gives unusable metadata: ") +
                             e.what());
  }
  return metadata;
}

std::map<std::string, std::string> onnx_metadata(const onnx::ModelProto& model) {
  std::map<std::string, std::string> metadata;
  for (const onnx::StringStringEntryProto& entry : model.metadata_props()) {
    metadata[entry.key()] = entry.value();
  }
  return metadata;
}

std::string serialize_onnx_model(const onnx::ModelProto& model) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    throw std::runtime_error("protobuf could not serialize the ONNX model");
  }
  return bytes;
}

}  // namespace facegender
