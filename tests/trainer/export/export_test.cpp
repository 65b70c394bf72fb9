// `facegender export` end to end: a checkpoint on disk -> an ONNX file that
// passes libonnx's checker, carries the metadata, stays small for the
// compact network, and computes in OpenCV DNN what LibTorch computes.
#include <gtest/gtest.h>
#include <onnx/checker.h>

#include <filesystem>
#include <fstream>
#include <opencv2/dnn.hpp>
#include <sstream>

#include "classify/onnx_model.hpp"
#include "common/files.hpp"
#include "export/export_command.hpp"
#include "export/onnx_writer.hpp"
#include "export_support.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using testing::scratch_dir;

onnx::ModelProto read_proto(const std::string& path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(read_file(path))) << path;
  return model;
}

// OpenCV DNN on the file, straight from cv::dnn (not through OnnxModel).
std::vector<cv::Mat> opencv_outputs(const std::string& path, const std::vector<float>& tensor,
                                    int count, const std::vector<std::string>& names) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
  const int sizes[] = {count, 1, 80, 80};
  net.setInput(cv::Mat(4, sizes, CV_32F, const_cast<float*>(tensor.data())));
  std::vector<cv::Mat> outputs;
  net.forward(outputs, names);
  return outputs;
}

double max_abs_diff(const cv::Mat& a, const torch::Tensor& b) {
  const torch::Tensor t = b.contiguous();
  EXPECT_EQ(static_cast<std::int64_t>(a.total()), t.numel());
  double diff = 0.0;
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    diff =
        std::max(diff, std::abs(static_cast<double>(a.ptr<float>()[i]) - t.data_ptr<float>()[i]));
  }
  return diff;
}

exporting::ExportReport export_checkpoint(const std::string& dir, const std::string& architecture,
                                          bool feature_maps = false) {
  exporting::ExportOptions options;
  options.checkpoint = testing::write_test_checkpoint(dir, architecture);
  options.out = dir + "/model.onnx";
  options.feature_maps = feature_maps;
  std::ostringstream log;
  const exporting::ExportReport report = exporting::export_onnx(options, log);
  std::cout << log.str();
  return report;
}

TEST(Export, CompactModelIsCheckedSmallAndMatchesLibTorch) {
  const std::string dir = scratch_dir("compact");
  const exporting::ExportReport report = export_checkpoint(dir, "compact");
  ASSERT_TRUE(fs::exists(report.out));
  EXPECT_EQ(fs::file_size(report.out), report.bytes);
  EXPECT_LE(report.bytes, 1'000'000u) << "the compact model must stay under 1 MB";
  EXPECT_LE(report.random.probabilities, 1e-5);
  EXPECT_EQ(report.random.inputs, 9);  // 8 in a batch, then 1 alone
  std::cout << "[ figures  ] compact: " << report.bytes << " bytes, " << report.parameters
            << " parameters, parity " << report.random.probabilities << " (float64), "
            << report.random.probabilities_float32 << " (float32)\n";

  onnx::ModelProto proto = read_proto(report.out);
  EXPECT_NO_THROW(onnx::checker::check_model(proto));
  EXPECT_EQ(proto.opset_import(0).version(), 13);
  // No temporary file left beside it.
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }

  // Independently of the exporter's own check: cv::dnn on the file vs LibTorch.
  const Checkpoint checkpoint = read_checkpoint(dir);
  const std::vector<float> input = testing::random_tensor(5, 80, 99);
  const std::vector<double> expected = testing::libtorch_probabilities(checkpoint, input, 5);
  const cv::Mat actual = opencv_outputs(report.out, input, 5, {"probabilities"}).front();
  ASSERT_EQ(actual.total(), expected.size());
  double diff = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(actual.ptr<float>()[i]) - expected[i]));
  }
  EXPECT_LE(diff, 1e-5);
}

TEST(Export, SeedModelMatchesLibTorch) {
  const std::string dir = scratch_dir("seed2017");
  const exporting::ExportReport report = export_checkpoint(dir, "seed2017");
  EXPECT_LE(report.random.probabilities, 1e-5);
  EXPECT_GT(report.parameters, 13'000'000);
  // The 13M float weights are in the file.
  EXPECT_GT(report.bytes, 52'000'000u);
  std::cout << "[ figures  ] seed2017: " << report.bytes << " bytes, parity "
            << report.random.probabilities << " (float64), " << report.random.probabilities_float32
            << " (float32)\n";
  const OnnxModel model = OnnxModel::load(report.out);
  EXPECT_EQ(model.metadata().at("architecture"), "seed2017");
}

TEST(Export, FeatureMapsMatchLibTorch) {
  const std::string dir = scratch_dir("features");
  const exporting::ExportReport report = export_checkpoint(dir, "compact", true);
  EXPECT_LE(report.random.probabilities, 1e-5);
  EXPECT_LE(report.random.features_relative, 1e-4);

  const Checkpoint checkpoint = read_checkpoint(dir);
  Network network(checkpoint.architecture);
  load_weights(network, checkpoint.weights, "test");
  network->eval();
  torch::NoGradGuard no_grad;
  const std::vector<float> input = testing::random_tensor(2, 80, 5);
  const std::vector<torch::Tensor> expected =
      network->feature_maps(torch::from_blob(const_cast<float*>(input.data()), {2, 1, 80, 80}));
  std::vector<std::string> names;
  for (int i = 1; i <= 7; ++i) names.push_back("features_conv" + std::to_string(i));
  const std::vector<cv::Mat> actual = opencv_outputs(report.out, input, 2, names);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ASSERT_EQ(actual[i].dims, 4) << names[i];
    for (int d = 0; d < 4; ++d) EXPECT_EQ(actual[i].size[d], expected[i].size(d)) << names[i];
    const double scale = std::max(1.0, expected[i].abs().max().item<double>());
    EXPECT_LE(max_abs_diff(actual[i], expected[i]) / scale, 1e-4) << names[i];
  }
}

TEST(Export, RealFacesFromTheCheckPhotos) {
  const std::string dir = scratch_dir("photos");
  exporting::ExportOptions options;
  options.checkpoint = testing::write_test_checkpoint(dir, "compact");
  options.out = dir + "/model.onnx";
  options.check_photos = {testing::dlib_photo("2008_002470.jpg"),
                          testing::dlib_photo("bald_guys.jpg")};
  options.cascades = FACEGENDER_CASCADE_DIR;
  std::ostringstream log;
  const exporting::ExportReport report = exporting::export_onnx(options, log);
  EXPECT_EQ(report.photo_count, 2);
  EXPECT_GE(report.photos.inputs, 3) << log.str();
  EXPECT_LE(report.photos.probabilities, 1e-5);
  EXPECT_NE(log.str().find("faces from 2 photos"), std::string::npos) << log.str();
  std::cout << log.str();
}

TEST(Export, CommandLineWritesTheRequestedOpset) {
  const std::string dir = scratch_dir("cli");
  const std::string checkpoint = testing::write_test_checkpoint(dir, "compact");
  // A run folder stands for its best checkpoint.
  const testing::CliResult result =
      testing::run_cli({"export", dir, "--out", dir + "/out/m.onnx", "--opset", "15"});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_NE(result.out.find("max abs diff"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("bytes"), std::string::npos) << result.out;
  EXPECT_EQ(read_proto(dir + "/out/m.onnx").opset_import(0).version(), 15);
  EXPECT_FALSE(testing::run_cli({"export", dir, "--out", dir + "/x.onnx", "--opset", "11"}).ok);
}

TEST(Export, BrokenCheckpointWritesNothingAndNamesTheFile) {
  const std::string dir = scratch_dir("broken");
  testing::write_test_checkpoint(dir, "compact");
  // Cut the weights short (and drop the hash, so the truncation itself is
  // what the reader meets).
  nlohmann::json state = nlohmann::json::parse(read_file(dir + "/best.json"));
  const std::string weights_name = state.at("weights").get<std::string>();
  state.erase("weights_fnv1a64");
  write_file_atomically(dir + "/best.json", state.dump());
  const std::string weights = dir + "/" + weights_name;
  const std::string bytes = read_file(weights);
  write_file_atomically(weights, bytes.substr(0, bytes.size() / 2));
  exporting::ExportOptions options;
  options.checkpoint = dir + "/best.json";
  options.out = dir + "/model.onnx";
  std::ostringstream log;
  try {
    exporting::export_onnx(options, log);
    FAIL() << "a truncated checkpoint was exported";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(weights_name), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(options.out));
  options.checkpoint = dir + "/missing.json";
  EXPECT_THROW(exporting::export_onnx(options, log), std::runtime_error);
}

}  // namespace
}  // namespace facegender
