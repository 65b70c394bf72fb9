// `facegender export`: checkpoint -> ONNX, with libonnx's checker and shape
// inference, and OpenCV DNN (what `classify` runs) compared with the LibTorch
// network on random and real faces before anything is written.
#include "export/export_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>

#include "classify/classify.hpp"
#include "commands.hpp"
#include "common/files.hpp"
#include "eval/calibration.hpp"
#include "export/onnx_writer.hpp"
#include "facegender/preprocess.hpp"
#include "train/checkpoint.hpp"

namespace facegender::exporting {
namespace {

namespace fs = std::filesystem;

std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

std::string size_text(std::size_t bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%zu bytes (%.2f MiB)", bytes,
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// Checks that an OpenCV blob and a LibTorch tensor have the same shape, then
// returns their largest absolute difference and the tensor's largest
// magnitude.
std::pair<double, double> compare(const cv::Mat& actual, const torch::Tensor& expected,
                                  const std::string& what) {
  const torch::Tensor reference = expected.to(torch::kCPU).to(torch::kFloat64).contiguous();
  bool same_shape = actual.dims == reference.dim() && actual.type() == CV_32F;
  for (int d = 0; same_shape && d < actual.dims; ++d)
    same_shape = actual.size[d] == reference.size(d);
  if (!same_shape) {
    std::string shape;
    for (std::int64_t d : reference.sizes()) {
      if (!shape.empty()) shape += ',';
      shape += std::to_string(d);
    }
    throw std::runtime_error("OpenCV DNN's \"" + what + "\" does not have LibTorch's shape [" +
                             shape + "]");
  }
  const cv::Mat dense = actual.isContinuous() ? actual : actual.clone();
  const float* a = dense.ptr<float>();
  const double* b = reference.data_ptr<double>();
  double diff = 0.0;
  double magnitude = 0.0;
  for (std::int64_t i = 0; i < reference.numel(); ++i) {
    // std::max drops a NaN, which would report a broken model as a perfect match.
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
      throw std::runtime_error("\"" + what +
                               "\" holds NaN or infinite values: the model's weights are broken");
    }
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    magnitude = std::max(magnitude, std::abs(b[i]));
  }
  return {diff, magnitude};
}

// Pixel inputs through the core's to_tensor, as a photo would be: black,
// white, then uniform random pixels.
std::vector<float> random_inputs(int count, int side, const Normalization& normalization,
                                 std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pixel(0, 255);
  const std::size_t plane = static_cast<std::size_t>(side) * side;
  std::vector<float> tensor(plane * static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    Image image(side, side, PixelFormat::Gray8);
    for (std::uint8_t& p : image.pixels()) {
      p = i == 0 ? 0 : i == 1 ? 255 : static_cast<std::uint8_t>(pixel(rng));
    }
    to_tensor(image.view(), normalization, std::span<float>(tensor).subspan(i * plane, plane));
  }
  return tensor;
}

// The faces in the check photos, as one batch; photos that cannot be used
// are reported and skipped.
FaceBatch photo_faces(const std::vector<std::string>& photos, const std::string& cascade_dir,
                      const ModelSpec& spec, int& photo_count, std::ostream& log) {
  FaceBatch all;
  all.input = spec.crop.input;
  if (photos.empty()) return all;
  // The faces the model will be given: its own detector (metadata), as classify.
  const classify::FaceOptions options;
  const classify::Detectors detectors =
      classify::load_detectors(options, spec, cascade_dir, FACEGENDER_DEFAULT_DETECTOR_DIR);
  for (const std::string& path : classify::expand_inputs(photos)) {
    try {
      const FaceBatch faces = classify::faces_of(
          classify::read_photo(path, classify::kDefaultMaxPixels), detectors, options, spec);
      all.boxes.insert(all.boxes.end(), faces.boxes.begin(), faces.boxes.end());
      all.tensor.insert(all.tensor.end(), faces.tensor.begin(), faces.tensor.end());
      ++photo_count;
    } catch (const std::exception& e) {
      log << "warning: check photo skipped: " << e.what() << "\n";
    }
  }
  return all;
}

void merge(Parity& into, const Parity& other) {
  into.inputs += other.inputs;
  into.probabilities = std::max(into.probabilities, other.probabilities);
  into.probabilities_float32 = std::max(into.probabilities_float32, other.probabilities_float32);
  into.features = std::max(into.features, other.features);
  into.features_relative = std::max(into.features_relative, other.features_relative);
}

void log_parity(std::ostream& log, const std::string& what, const Parity& parity,
                bool feature_maps) {
  log << "parity on " << what << ", OpenCV DNN vs LibTorch, max abs diff on probabilities: "
      << scientific(parity.probabilities) << " (float64 reference), "
      << scientific(parity.probabilities_float32) << " (float32)";
  if (feature_maps) {
    log << "; on feature maps: " << scientific(parity.features) << " ("
        << scientific(parity.features_relative) << " of their largest value)";
  }
  log << "\n";
}

void require_parity(const Parity& parity, const std::string& what) {
  if (!(parity.probabilities <= kParityTolerance)) {
    throw std::runtime_error("OpenCV DNN and LibTorch (float64) disagree on " + what + " by " +
                             scientific(parity.probabilities) + " (tolerance " +
                             scientific(kParityTolerance) + "); nothing written");
  }
  if (!(parity.features_relative <= kFeatureParityTolerance)) {
    throw std::runtime_error("OpenCV DNN and LibTorch feature maps disagree on " + what + " by " +
                             scientific(parity.features_relative) +
                             " of their largest value; nothing written");
  }
}

}  // namespace

LibTorchReference libtorch_reference(const Architecture& architecture, const TensorFile& weights,
                                     const std::string& source) {
  LibTorchReference reference{Network(architecture), Network(architecture)};
  for (Network* network : {&reference.float32, &reference.float64}) {
    load_weights(*network, weights, source);
    (*network)->eval();
  }
  reference.float64->to(torch::kFloat64);
  return reference;
}

namespace {

Parity compare_batch(LibTorchReference& reference, OnnxModel& model, std::span<const float> tensor,
                     int count, bool feature_maps) {
  Parity parity;
  parity.inputs = count;
  torch::NoGradGuard no_grad;
  const Architecture& architecture = reference.float32->architecture();
  const std::int64_t side = architecture.input_size;
  const torch::Tensor input =
      torch::from_blob(const_cast<float*>(tensor.data()), {count, 1, side, side}, torch::kFloat32)
          .clone();
  const torch::Tensor exact_input = input.to(torch::kFloat64);
  std::vector<std::string> outputs = {model.output_name()};
  std::vector<FeatureMapOutput> maps;
  if (feature_maps) {
    maps = feature_map_outputs(architecture);
    for (const FeatureMapOutput& map : maps) outputs.push_back(map.output_name);
  }
  const std::vector<cv::Mat> actual = model.run(tensor, count, outputs);
  parity.probabilities =
      compare(actual[0], torch::softmax(reference.float64->forward(exact_input), 1),
              model.output_name())
          .first;
  parity.probabilities_float32 =
      compare(actual[0], torch::softmax(reference.float32->forward(input), 1), model.output_name())
          .first;
  if (feature_maps) {
    const std::vector<torch::Tensor> expected = reference.float64->feature_maps(exact_input);
    if (expected.size() != maps.size()) {
      throw std::runtime_error("the network gives " + std::to_string(expected.size()) +
                               " feature maps, the ONNX model " + std::to_string(maps.size()));
    }
    for (std::size_t i = 0; i < maps.size(); ++i) {
      const auto [diff, magnitude] = compare(actual[i + 1], expected[i], maps[i].output_name);
      parity.features = std::max(parity.features, diff);
      parity.features_relative =
          std::max(parity.features_relative, diff / std::max(1.0, magnitude));
    }
  }
  return parity;
}

}  // namespace

Parity compare_with_libtorch(LibTorchReference& reference, OnnxModel& model,
                             std::span<const float> tensor, int count, bool feature_maps) {
  // In batches: a folder of check photos can hold thousands of faces, and the
  // float64 seed network's activations take 8 bytes each.
  constexpr int kBatch = 32;
  const std::size_t plane = static_cast<std::size_t>(model.input_size()) * model.input_size();
  if (count < 0 || tensor.size() != plane * static_cast<std::size_t>(count)) {
    throw std::invalid_argument("compare_with_libtorch: " + std::to_string(tensor.size()) +
                                " values are not " + std::to_string(count) + " inputs");
  }
  Parity parity;
  for (int start = 0; start < count; start += kBatch) {
    const int n = std::min(kBatch, count - start);
    merge(parity, compare_batch(reference, model, tensor.subspan(start * plane, n * plane), n,
                                feature_maps));
  }
  return parity;
}

namespace {

// The ONNX bytes for a checkpoint, through libonnx's checker and shape
// inference.
std::string checked_onnx_bytes(const Checkpoint& checkpoint, const ExportOptions& options,
                               ExportReport& report, std::ostream& log) {
  OnnxExportOptions onnx_options;
  onnx_options.opset = options.opset;
  onnx_options.feature_maps = options.feature_maps;
  onnx_options.metadata =
      onnx_metadata_from_state(checkpoint.architecture, checkpoint.state, report.warnings);
  for (const std::string& warning : report.warnings) log << "warning: " << warning << "\n";
  onnx::ModelProto proto = build_onnx_model(checkpoint.architecture, checkpoint.weights,
                                            onnx_options, options.checkpoint);
  check_onnx_model(proto);
  log << "ONNX checker and shape inference: passed (opset " << options.opset << ")\n";
  return serialize_onnx_model(proto);
}

Parity check_random_inputs(LibTorchReference& reference, OnnxModel& model,
                           const ExportOptions& options, std::ostream& log) {
  const int side = model.input_size();
  const std::vector<float> random =
      random_inputs(options.random_inputs, side, model.spec().normalization, options.seed);
  Parity parity =
      compare_with_libtorch(reference, model, random, options.random_inputs, options.feature_maps);
  // Once more with a batch of one: N is symbolic, and OpenCV must reshape.
  const std::size_t plane = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
  merge(parity, compare_with_libtorch(reference, model, std::span<const float>(random).last(plane),
                                      1, options.feature_maps));
  log_parity(log, std::to_string(parity.inputs) + " random inputs", parity, options.feature_maps);
  require_parity(parity, "random inputs");
  return parity;
}

Parity check_photo_faces(LibTorchReference& reference, OnnxModel& model,
                         const ExportOptions& options, int& photo_count, std::ostream& log) {
  const FaceBatch faces =
      photo_faces(options.check_photos, options.cascades, model.spec(), photo_count, log);
  const Parity parity = compare_with_libtorch(
      reference, model, faces.tensor, static_cast<int>(faces.boxes.size()), options.feature_maps);
  log_parity(
      log,
      std::to_string(faces.boxes.size()) + " faces from " + std::to_string(photo_count) + " photos",
      parity, options.feature_maps);
  require_parity(parity, "the check photos' faces");
  return parity;
}

}  // namespace

ExportReport export_onnx(const ExportOptions& options, std::ostream& log) {
  if (options.out.empty()) throw std::runtime_error("export needs --out FILE.onnx");
  if (options.random_inputs < 1) throw std::invalid_argument("export needs random inputs");
  ExportReport report;
  report.out = options.out;
  Checkpoint checkpoint = read_checkpoint(options.checkpoint);
  // The run's calibration (facegender calibrate) travels in the metadata,
  // where the core applies it.
  if (const auto temperature = read_temperature(checkpoint_folder(options.checkpoint))) {
    checkpoint.state["temperature"] = *temperature;
    log << "temperature " << *temperature << " from the run's calibration.json\n";
  } else {
    log << "no calibration.json beside the checkpoint: temperature 1 (run facegender calibrate "
           "to fit one)\n";
  }
  const Architecture& architecture = checkpoint.architecture;
  const std::string bytes = checked_onnx_bytes(checkpoint, options, report, log);

  // The model as `classify` will load it, against the network it came from.
  OnnxModel model = OnnxModel::from_bytes(bytes, options.out);
  LibTorchReference reference =
      libtorch_reference(architecture, checkpoint.weights, options.checkpoint);
  report.parameters = gender_parameter_count(reference.float32);  // what the ONNX holds
  report.random = check_random_inputs(reference, model, options, log);
  if (!options.check_photos.empty()) {
    report.photos = check_photo_faces(reference, model, options, report.photo_count, log);
  }

  const fs::path parent = fs::path(options.out).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_file_atomically(options.out, bytes);
  report.bytes = bytes.size();
  log << "wrote " << options.out << ": " << architecture.name << ", " << architecture.classes
      << " classes, " << report.parameters << " parameters, " << size_text(report.bytes)
      << (options.feature_maps ? ", with feature maps" : "") << "\n";
  return report;
}

}  // namespace facegender::exporting

namespace facegender::cli {

void add_export(CLI::App& app) {
  auto options = std::make_shared<exporting::ExportOptions>();
  options->cascades = FACEGENDER_DEFAULT_CASCADE_DIR;
  CLI::App* command = app.add_subcommand(
      "export", "Write a checkpoint as an ONNX model, checked against LibTorch before writing");
  command
      ->add_option("checkpoint", options->checkpoint,
                   "A run folder (its best checkpoint), or a checkpoint's .json or .safetensors")
      ->required();
  command->add_option("--out,-o", options->out, "The ONNX file to write")->required();
  command->add_option("--opset", options->opset, "ONNX opset")
      ->capture_default_str()
      ->check(CLI::Range(kMinOnnxOpset, kMaxOnnxOpset));
  command->add_flag("--feature-maps", options->feature_maps,
                    "Also output every conv layer's activation (features_<conv name>)");
  command->add_option("--check-photos", options->check_photos,
                      "Photos or folders whose faces join the parity check (default: random "
                      "inputs only); give the checkpoint before this option");
  command
      ->add_option("--cascades", options->cascades,
                   "Folder of the core's cascade JSON files (for --check-photos)")
      ->capture_default_str();
  command->callback([options] { exporting::export_onnx(*options, std::cout); });
}

}  // namespace facegender::cli
