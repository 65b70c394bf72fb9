// The ONNX graph written from an Architecture: what nodes, shapes, opset and
// metadata it has, and that OpenCV DNN computes what LibTorch computes.
#include "export/onnx_writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <set>

#include "export_support.hpp"
#include "facegender/postprocess.hpp"
#include "model/network.hpp"

namespace facegender {
namespace {

using nlohmann::json;
using testing::make_checkpoint;

onnx::ModelProto build(const Checkpoint& checkpoint, bool feature_maps = false, int opset = 13) {
  std::vector<std::string> warnings;
  OnnxExportOptions options;
  options.opset = opset;
  options.feature_maps = feature_maps;
  options.metadata = onnx_metadata_from_state(checkpoint.architecture, checkpoint.state, warnings);
  onnx::ModelProto model =
      build_onnx_model(checkpoint.architecture, checkpoint.weights, options, "test checkpoint");
  check_onnx_model(model);
  return model;
}

// A value's dims: numbers, or -1 for a symbolic one (whose name goes to `param`).
std::vector<std::int64_t> dims_of(const onnx::ValueInfoProto& value, std::string* param = nullptr) {
  std::vector<std::int64_t> dims;
  for (const auto& d : value.type().tensor_type().shape().dim()) {
    dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    if (!d.has_dim_value() && param != nullptr) *param = d.dim_param();
  }
  return dims;
}

std::multiset<std::string> op_types(const onnx::ModelProto& model) {
  std::multiset<std::string> ops;
  for (const auto& node : model.graph().node()) ops.insert(node.op_type());
  return ops;
}

const onnx::NodeProto& node_named(const onnx::ModelProto& model, const std::string& name) {
  for (const auto& node : model.graph().node()) {
    if (node.name() == name) return node;
  }
  throw std::runtime_error("no node " + name);
}

std::vector<std::int64_t> ints_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  }
  return {};
}

std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.i();
  }
  return -1;
}

// OpenCV DNN's probabilities for `count` inputs of the serialized model.
std::vector<float> opencv_probabilities(const onnx::ModelProto& model,
                                        const std::vector<float>& tensor, int count, int side) {
  const std::string bytes = serialize_onnx_model(model);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  const int sizes[] = {count, 1, side, side};
  cv::Mat blob(4, sizes, CV_32F, const_cast<float*>(tensor.data()));
  net.setInput(blob);
  const cv::Mat out = net.forward(kOnnxOutputName);
  return {out.ptr<float>(), out.ptr<float>() + out.total()};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return diff;
}

TEST(OnnxWriter, CompactGraphHasTheDeclaredInterface) {
  const onnx::ModelProto model = build(make_checkpoint("compact", 2, 1));
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
  EXPECT_EQ(model.opset_import(0).version(), 13);
  EXPECT_GE(model.ir_version(), 7);

  const onnx::GraphProto& graph = model.graph();
  ASSERT_EQ(graph.input_size(), 1) << "initializers must not be graph inputs";
  EXPECT_EQ(graph.input(0).name(), "input");
  EXPECT_EQ(graph.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  std::string batch;
  EXPECT_EQ(dims_of(graph.input(0), &batch), (std::vector<std::int64_t>{-1, 1, 80, 80}));
  EXPECT_EQ(batch, "N");
  ASSERT_EQ(graph.output_size(), 1);
  EXPECT_EQ(graph.output(0).name(), "probabilities");
  EXPECT_EQ(dims_of(graph.output(0)), (std::vector<std::int64_t>{-1, 2}));

  // Batch norm folded, dropout gone, softmax last.
  const std::multiset<std::string> ops = op_types(model);
  EXPECT_EQ(ops.count("Conv"), 7u);
  EXPECT_EQ(ops.count("BatchNormalization"), 0u);
  EXPECT_EQ(ops.count("Dropout"), 0u);
  EXPECT_EQ(ops.count("Relu"), 7u);
  EXPECT_EQ(ops.count("MaxPool"), 4u);
  EXPECT_EQ(ops.count("GlobalAveragePool"), 1u);
  EXPECT_EQ(ops.count("Gemm"), 1u);
  EXPECT_EQ(graph.node(graph.node_size() - 1).op_type(), "Softmax");
  EXPECT_EQ(int_attribute(graph.node(graph.node_size() - 1), "axis"), 1);
  EXPECT_EQ(int_attribute(node_named(model, "fc"), "transB"), 1);
  // Shape inference recorded the intermediate shapes.
  EXPECT_GT(graph.value_info_size(), 0);
}

TEST(OnnxWriter, SeedGraphKeepsAsymmetricSamePadding) {
  const onnx::ModelProto model = build(make_checkpoint("seed2017", 2, 1));
  // 8x8 "same": 3 before, 4 after, as [top, left, bottom, right].
  EXPECT_EQ(ints_attribute(node_named(model, "conv1"), "pads"),
            (std::vector<std::int64_t>{3, 3, 4, 4}));
  EXPECT_EQ(ints_attribute(node_named(model, "conv3"), "pads"),
            (std::vector<std::int64_t>{1, 1, 1, 1}));
  const std::multiset<std::string> ops = op_types(model);
  EXPECT_EQ(ops.count("AveragePool"), 1u);
  EXPECT_EQ(ops.count("MaxPool"), 2u);
  EXPECT_EQ(ops.count("Gemm"), 4u);
  EXPECT_EQ(ops.count("Flatten"), 1u);
}

TEST(OnnxWriter, OpenCvMatchesLibTorchForEveryArchitecture) {
  for (const std::string& name : architecture_names()) {
    const Checkpoint checkpoint = make_checkpoint(name, 2, 3);
    const std::vector<float> input = testing::random_tensor(4, 80, 11);
    const std::vector<double> expected = testing::libtorch_probabilities(checkpoint, input, 4);
    // A meaningful comparison: the probabilities are far from all-50%.
    const auto [low, high] = std::minmax_element(expected.begin(), expected.end());
    EXPECT_GT(*high - *low, 0.3) << name;
    const std::vector<float> actual = opencv_probabilities(build(checkpoint), input, 4, 80);
    const double diff = max_abs_diff(actual, expected);
    EXPECT_LE(diff, 1e-5) << name;
    // Float32 LibTorch drifts from float64 too; within an order of magnitude.
    const double diff32 =
        max_abs_diff(actual, testing::libtorch_probabilities(checkpoint, input, 4, false));
    EXPECT_LE(diff32, 1e-4) << name;
    std::cout << "[ figures  ] " << name << ": OpenCV DNN vs LibTorch max abs diff " << diff
              << " (float64), " << diff32 << " (float32)\n";
  }
}

TEST(OnnxWriter, ThreeClassesAndOpset17) {
  const Checkpoint checkpoint = make_checkpoint("compact", 3, 5);
  const onnx::ModelProto model = build(checkpoint, false, 17);
  EXPECT_EQ(model.opset_import(0).version(), 17);
  EXPECT_EQ(dims_of(model.graph().output(0)), (std::vector<std::int64_t>{-1, 3}));
  const std::vector<float> input = testing::random_tensor(2, 80, 12);
  EXPECT_LE(max_abs_diff(opencv_probabilities(model, input, 2, 80),
                         testing::libtorch_probabilities(checkpoint, input, 2)),
            1e-5);
}

TEST(OnnxWriter, BatchNormNotAfterConvStaysANode) {
  // conv -> relu -> batchnorm: nothing to fold into.
  Checkpoint checkpoint = make_checkpoint("compact", 2, 2);
  Architecture& arch = checkpoint.architecture;
  std::swap(arch.layers[1], arch.layers[2]);  // bn1 after relu
  Network network(arch);
  network->initialize(4);
  TensorFile weights = weights_of(network);
  for (const char* part : {".running_mean", ".running_var"}) {
    for (float& v : weights.tensors.at(std::string("bn1") + part).values) v = 0.75f;
  }
  checkpoint.weights = weights;
  const onnx::ModelProto model = build(checkpoint);
  EXPECT_EQ(op_types(model).count("BatchNormalization"), 1u);
  const std::vector<float> input = testing::random_tensor(2, 80, 13);
  EXPECT_LE(max_abs_diff(opencv_probabilities(model, input, 2, 80),
                         testing::libtorch_probabilities(checkpoint, input, 2)),
            1e-5);
}

TEST(OnnxWriter, FeatureMapsAreExtraOutputs) {
  const Checkpoint checkpoint = make_checkpoint("compact", 2, 1);
  const onnx::ModelProto model = build(checkpoint, true);
  const onnx::GraphProto& graph = model.graph();
  ASSERT_EQ(graph.output_size(), 8);
  EXPECT_EQ(graph.output(0).name(), "probabilities");
  const std::vector<std::vector<std::int64_t>> expected = {
      {-1, 16, 80, 80}, {-1, 16, 80, 80}, {-1, 32, 40, 40}, {-1, 32, 40, 40},
      {-1, 64, 20, 20}, {-1, 64, 20, 20}, {-1, 128, 10, 10}};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(graph.output(i + 1).name(), "features_conv" + std::to_string(i + 1));
    EXPECT_EQ(dims_of(graph.output(i + 1)), expected[static_cast<std::size_t>(i)]);
  }
  const std::vector<FeatureMapOutput> listed = feature_map_outputs(checkpoint.architecture);
  ASSERT_EQ(listed.size(), 7u);
  EXPECT_EQ(listed[6].conv_name, "conv7");
  EXPECT_EQ(listed[6].channels, 128);
  EXPECT_EQ(
      onnx_metadata(model).at("feature_maps"),
      R"(["features_conv1","features_conv2","features_conv3","features_conv4","features_conv5","features_conv6","features_conv7"])");
  // The seed network's three convolutions.
  const std::vector<FeatureMapOutput> seed = feature_map_outputs(make_architecture("seed2017", 2));
  ASSERT_EQ(seed.size(), 3u);
  EXPECT_EQ(seed[0].channels, 3);
  EXPECT_EQ(seed[0].height, 80);
  EXPECT_EQ(seed[2].height, 20);
}

TEST(OnnxWriter, MetadataIsWhatTheCoreReads) {
  const onnx::ModelProto model = build(make_checkpoint("compact", 2, 1));
  const std::map<std::string, std::string> metadata = onnx_metadata(model);
  for (const char* key : {"class_names", "crop", "normalization", "input_size", "core_version",
                          "architecture", "training_data", "metrics", "hyperparameters"}) {
    EXPECT_TRUE(metadata.contains(key)) << key;
  }
  const ModelSpec spec = parse_model_spec(metadata);
  EXPECT_EQ(spec.class_names, (std::vector<std::string>{"female", "male"}));
  EXPECT_DOUBLE_EQ(spec.crop.margin, 0.2);
  EXPECT_EQ(spec.crop.size, 100);
  EXPECT_EQ(spec.crop.input, 80);
  EXPECT_EQ(spec.normalization, (Normalization{0.5f, 0.25f}));
  EXPECT_EQ(metadata.at("input_size"), "80");
  EXPECT_EQ(metadata.at("architecture"), "compact");
  EXPECT_EQ(metadata.at("core_version"), std::string(core_version()));
  EXPECT_EQ(json::parse(metadata.at("metrics")).at("val_accuracy"), 0.5);
  EXPECT_EQ(json::parse(metadata.at("hyperparameters")).at("batch"), 16);
  EXPECT_EQ(json::parse(metadata.at("training_data")).at("train"), 100);
}

TEST(OnnxWriter, MissingStateGetsDefaultsAndWarnings) {
  const Architecture arch = make_architecture("compact", 2);
  std::vector<std::string> warnings;
  const auto metadata = onnx_metadata_from_state(arch, json::object(), warnings);
  EXPECT_EQ(warnings.size(), 3u);
  const ModelSpec spec = parse_model_spec(metadata);
  EXPECT_EQ(spec.class_names, (std::vector<std::string>{"class0", "class1"}));
  EXPECT_DOUBLE_EQ(spec.crop.margin, 0.2);
  EXPECT_EQ(spec.crop.size, 100);
  EXPECT_EQ(spec.crop.input, 80);
  EXPECT_EQ(spec.normalization, (Normalization{0.0f, 1.0f}));
  EXPECT_EQ(metadata.at("metrics"), "{}");
}

TEST(OnnxWriter, StateThatContradictsTheNetworkIsRefused) {
  const Architecture arch = make_architecture("compact", 2);
  std::vector<std::string> warnings;
  EXPECT_THROW(onnx_metadata_from_state(arch, {{"classes", {"a", "b", "c"}}}, warnings),
               std::runtime_error);
  EXPECT_THROW(onnx_metadata_from_state(arch, {{"crop", {{"input", 64}}}}, warnings),
               std::runtime_error);
  EXPECT_THROW(onnx_metadata_from_state(arch, {{"normalization", {{"std", 0}}}}, warnings),
               std::runtime_error);
}

TEST(OnnxWriter, MissingOrMisShapedWeightNamesTheTensorAndTheSource) {
  Checkpoint checkpoint = make_checkpoint("compact", 2, 1);
  OnnxExportOptions options;
  checkpoint.weights.tensors.erase("bn3.running_var");
  try {
    build_onnx_model(checkpoint.architecture, checkpoint.weights, options, "run/best.json");
    FAIL() << "missing weight accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("run/best.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bn3.running_var"), std::string::npos) << e.what();
  }
  checkpoint = make_checkpoint("compact", 2, 1);
  checkpoint.weights.tensors.at("fc.weight").shape = {128, 2};
  EXPECT_THROW(build_onnx_model(checkpoint.architecture, checkpoint.weights, options, "x"),
               std::runtime_error);
}

TEST(OnnxWriter, RefusesOpsetsOutsideItsRange) {
  const Checkpoint checkpoint = make_checkpoint("compact", 2, 1);
  for (int opset : {12, 18}) {
    OnnxExportOptions options;
    options.opset = opset;
    EXPECT_THROW(build_onnx_model(checkpoint.architecture, checkpoint.weights, options, "x"),
                 std::runtime_error)
        << opset;
  }
}

TEST(OnnxWriter, RefusesArchitecturesWhoseSizesDoNotChain) {
  Checkpoint checkpoint = make_checkpoint("compact", 2, 1);
  checkpoint.architecture.layers.back().in = 64;  // fc after 128 channels
  EXPECT_THROW(feature_map_outputs(checkpoint.architecture), std::runtime_error);
  Architecture padded_pool = make_architecture("compact", 2);
  for (Layer& layer : padded_pool.layers) {
    if (layer.op == LayerOp::MaxPool) layer.pad = {1, 1, 0, 0};
  }
  EXPECT_THROW(feature_map_outputs(padded_pool), std::runtime_error);
}

}  // namespace
}  // namespace facegender
