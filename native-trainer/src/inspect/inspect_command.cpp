// facegender inspect: training curves from metrics.jsonl, and what each
// convolution layer of a network sees in a face (the seed looked at these).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "classify/classify.hpp"
#include "commands.hpp"
#include "common/files.hpp"
#include "dataset/packed_dataset.hpp"
#include "facegender/pipeline.hpp"
#include "model/network.hpp"
#include "train/augment_options.hpp"
#include "train/checkpoint.hpp"

namespace facegender::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", image, png)) throw std::runtime_error(path + ": cannot encode PNG");
  write_file_atomically(path, std::string(png.begin(), png.end()));
}

struct Series {
  std::string name;
  std::vector<cv::Point2d> points;
  cv::Scalar colour;
  bool markers = false;  // a dot per point: validation is sparse, and one point draws no line
};

// The series' names in a row ending at `right`, above the plot: inside it
// the names hid the curves they name (val accuracy climbs into the top left).
void draw_legend(cv::Mat& canvas, cv::Point right, const std::vector<Series>& series) {
  constexpr double kScale = 0.45;
  constexpr int kSwatch = 22, kGap = 24;
  int x = right.x;
  for (auto s = series.rbegin(); s != series.rend(); ++s) {
    int baseline = 0;
    const cv::Size text = cv::getTextSize(s->name, cv::FONT_HERSHEY_SIMPLEX, kScale, 1, &baseline);
    x -= text.width;
    cv::putText(canvas, s->name, cv::Point(x, right.y), cv::FONT_HERSHEY_SIMPLEX, kScale, s->colour,
                1, cv::LINE_AA);
    x -= kSwatch + 6;
    cv::line(canvas, cv::Point(x, right.y - 4), cv::Point(x + kSwatch, right.y - 4), s->colour, 2,
             cv::LINE_AA);
    x -= kGap;
  }
}

// One panel: series over steps, axes scaled to the data, a legend.
void draw_panel(cv::Mat& canvas, const cv::Rect& area, const std::string& title,
                const std::vector<Series>& series) {
  double x_max = 1, y_min = 1e30, y_max = -1e30;
  for (const Series& s : series) {
    for (const auto& p : s.points) {
      x_max = std::max(x_max, p.x);
      y_min = std::min(y_min, p.y);
      y_max = std::max(y_max, p.y);
    }
  }
  if (y_min > y_max) y_min = 0, y_max = 1;
  if (y_max - y_min < 1e-9) y_max = y_min + 1;
  const double headroom = 0.04 * (y_max - y_min);  // so the extremes' markers are not cut
  y_min -= headroom;
  y_max += headroom;
  const cv::Rect plot(area.x + 60, area.y + 30, area.width - 80, area.height - 60);
  cv::rectangle(canvas, plot, cv::Scalar(0, 0, 0));
  cv::putText(canvas, title, cv::Point(area.x + 60, area.y + 20), cv::FONT_HERSHEY_SIMPLEX, 0.5,
              cv::Scalar(0, 0, 0));
  auto to_pixel = [&](const cv::Point2d& p) {
    return cv::Point(
        plot.x + static_cast<int>(p.x / x_max * plot.width),
        plot.y + plot.height - static_cast<int>((p.y - y_min) / (y_max - y_min) * plot.height));
  };
  for (int i = 0; i <= 4; ++i) {
    const double v = y_min + (y_max - y_min) * i / 4.0;
    char label[32];
    std::snprintf(label, sizeof label, "%.3g", v);
    cv::putText(canvas, label, cv::Point(area.x + 5, to_pixel({0, v}).y + 4),
                cv::FONT_HERSHEY_SIMPLEX, 0.35, cv::Scalar(60, 60, 60));
  }
  cv::putText(canvas, "step " + std::to_string(static_cast<long>(x_max)),
              cv::Point(plot.x + plot.width - 80, plot.y + plot.height + 20),
              cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(60, 60, 60));
  for (const Series& s : series) {
    for (std::size_t i = 1; i < s.points.size(); ++i) {
      cv::line(canvas, to_pixel(s.points[i - 1]), to_pixel(s.points[i]), s.colour, 2, cv::LINE_AA);
    }
    if (s.markers)
      for (const auto& p : s.points) cv::circle(canvas, to_pixel(p), 4, s.colour, -1, cv::LINE_AA);
  }
  draw_legend(canvas, cv::Point(plot.x + plot.width, area.y + 20), series);
}

void plot_curves(const std::string& run, const std::string& out) {
  const fs::path log = fs::is_directory(run) ? fs::path(run) / "metrics.jsonl" : fs::path(run);
  std::ifstream in(log);
  if (!in) throw std::runtime_error(log.string() + ": cannot open metrics log");
  Series loss{"train loss", {}, {200, 80, 0}}, val_loss{"val loss", {}, {0, 0, 200}, true};
  Series acc{"train accuracy", {}, {200, 80, 0}}, val_acc{"val accuracy", {}, {0, 0, 200}, true};
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception&) {
      continue;  // a half-written last line of a killed run
    }
    const double step = j.value("step", 0.0);
    if (j.contains("loss")) loss.points.emplace_back(step, j["loss"].get<double>());
    if (j.contains("accuracy")) acc.points.emplace_back(step, j["accuracy"].get<double>());
    if (j.contains("val_loss")) val_loss.points.emplace_back(step, j["val_loss"].get<double>());
    if (j.contains("val_accuracy"))
      val_acc.points.emplace_back(step, j["val_accuracy"].get<double>());
    ++lines;
  }
  if (lines == 0) throw std::runtime_error(log.string() + ": no metrics lines");
  cv::Mat canvas(720, 900, CV_8UC3, cv::Scalar(255, 255, 255));
  draw_panel(canvas, cv::Rect(0, 0, 900, 360), "loss", {loss, val_loss});
  draw_panel(canvas, cv::Rect(0, 360, 900, 360), "accuracy", {acc, val_acc});
  write_png(out, canvas);
  std::cout << "wrote " << out << " (" << lines << " metrics lines)\n";
}

// Each conv layer's maps, normalised per map, tiled in a row per layer.
void plot_features(const std::string& checkpoint_path, const std::string& photo,
                   const std::string& cascades, const std::string& detectors,
                   const std::string& out) {
  const Checkpoint checkpoint = read_checkpoint(checkpoint_path);
  Network network(checkpoint.architecture);
  load_weights(network, checkpoint.weights, checkpoint_path);
  network->eval();
  // The faces and crop the model asks for, as `classify` finds and cuts them.
  const json classes = checkpoint.state.value("classes", json::array({"class0", "class1"}));
  const ModelSpec spec = parse_model_spec(
      {{"class_names", classes.dump()},
       {"crop",
        checkpoint.state.value("crop", json{{"margin", 0.2}, {"size", 100}, {"input", 80}}).dump()},
       {"detector", checkpoint.state.value("detector", "haar")},
       {"normalization",
        checkpoint.state.value("normalization", json{{"mean", 0.0}, {"std", 1.0}}).dump()}});
  const int side = spec.crop_spec.input();

  // The trainer's one photo reader: header check, pixel limit, EXIF orientation.
  const cv::Mat bgr = classify::read_photo(photo, classify::kDefaultMaxPixels);
  classify::FaceOptions options;
  const classify::Detectors found_by = classify::load_detectors(options, spec, cascades, detectors);
  FaceBatch batch = classify::faces_of(bgr, found_by, options, spec);
  std::vector<float> input(
      batch.tensor.begin(),
      batch.tensor.begin() +
          std::min<std::size_t>(batch.tensor.size(), static_cast<std::size_t>(side * side)));
  if (batch.boxes.empty()) {
    std::cerr << "inspect: no face found in " << photo << "; using the whole image\n";
    options.whole_image = true;
    input = classify::faces_of(bgr, found_by, options, spec).tensor;
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::from_blob(input.data(), {1, 1, side, side}, torch::kFloat32);
  const std::vector<torch::Tensor> maps = network->feature_maps(x);

  constexpr int kTile = 48;
  constexpr int kColumns = 16;
  std::vector<cv::Mat> rows;
  for (std::size_t layer = 0; layer < maps.size(); ++layer) {
    const torch::Tensor m = maps[layer][0].contiguous();
    const auto channels = static_cast<int>(m.size(0));
    const int grid_rows = (channels + kColumns - 1) / kColumns;
    cv::Mat row(grid_rows * kTile + 20, kColumns * kTile, CV_8UC1, cv::Scalar(255));
    cv::putText(row,
                "conv layer " + std::to_string(layer + 1) + ": " + std::to_string(channels) +
                    " maps " + std::to_string(m.size(1)) + "x" + std::to_string(m.size(2)),
                cv::Point(4, 14), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0));
    for (int c = 0; c < channels; ++c) {
      const cv::Mat map(static_cast<int>(m.size(1)), static_cast<int>(m.size(2)), CV_32FC1,
                        m[c].data_ptr<float>());
      cv::Mat scaled, resized;
      cv::normalize(map, scaled, 0, 255, cv::NORM_MINMAX, CV_8UC1);
      cv::resize(scaled, resized, cv::Size(kTile - 2, kTile - 2), 0, 0, cv::INTER_NEAREST);
      resized.copyTo(row(cv::Rect((c % kColumns) * kTile + 1, 20 + (c / kColumns) * kTile + 1,
                                  kTile - 2, kTile - 2)));
    }
    rows.push_back(row);
  }
  cv::Mat sheet;
  cv::vconcat(rows, sheet);
  write_png(out, sheet);
  std::cout << "wrote " << out << " (" << maps.size() << " conv layers"
            << (batch.boxes.empty() ? ", whole image" : "") << ")\n";
}

struct AugmentSheetOptions {
  std::string data, out;
  int faces = 8, variants = 8;
  std::uint64_t seed = 1;
  AugmentConfig augment;
};

// A row per training face: the centre crop evaluation sees, then what
// training may show the network instead.
void plot_augmentations(const AugmentSheetOptions& o) {
  const dataset::PackedDataset data = dataset::read(o.data);
  const std::vector<std::size_t> pool = data.indices(dataset::Split::Train, true);
  if (pool.empty()) throw std::runtime_error(o.data + ": the train split is empty");
  constexpr int kInput = 80;
  const int gap = 4;
  cv::Mat sheet(o.faces * (kInput + gap), (o.variants + 1) * (kInput + gap), CV_8UC1,
                cv::Scalar(255));
  std::mt19937_64 rng(o.seed);
  std::vector<float> pixels(kInput * kInput);
  for (int row = 0; row < o.faces; ++row) {
    const std::size_t face = pool[rng() % pool.size()];
    for (int column = 0; column <= o.variants; ++column) {
      const Augmentation a = column == 0
                                 ? identity_augmentation(data.image_size, kInput)
                                 : sample_augmentation(o.augment, data.image_size, kInput, rng);
      augment(data.face(face), data.image_size, kInput, a, Normalization{0.0f, 1.0f}, pixels);
      cv::Mat tile(kInput, kInput, CV_32FC1, pixels.data());
      tile.convertTo(sheet(cv::Rect(column * (kInput + gap), row * (kInput + gap), kInput, kInput)),
                     CV_8UC1, 255.0);
    }
  }
  write_png(o.out, sheet);
  std::cout << "wrote " << o.out << " (" << o.faces << " faces: centre crop, then " << o.variants
            << " augmentations)\n";
}

}  // namespace

void add_inspect(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Plot training curves, augmentations or a network's feature maps as PNG");
  cmd->require_subcommand(1);

  auto curves = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* c =
      cmd->add_subcommand("curves", "Loss and accuracy over steps, from a run's metrics.jsonl");
  c->add_option("run", curves->first, "Run folder or metrics.jsonl")->required();
  c->add_option("--out", curves->second, "PNG to write")->required();
  c->callback([curves] { plot_curves(curves->first, curves->second); });

  struct FeatureOptions {
    std::string checkpoint, photo, out, cascades = FACEGENDER_DEFAULT_CASCADE_DIR;
    std::string detectors = FACEGENDER_DEFAULT_DETECTOR_DIR;
  };
  auto features = std::make_shared<FeatureOptions>();
  CLI::App* f = cmd->add_subcommand(
      "features", "Every conv layer's feature maps for the largest face in a photo");
  f->add_option("checkpoint", features->checkpoint, "Run folder or checkpoint .json")->required();
  f->add_option("photo", features->photo, "Photo")->required();
  f->add_option("--out", features->out, "PNG to write")->required();
  f->add_option("--cascades", features->cascades, "Folder of cascade JSON files")
      ->capture_default_str();
  f->add_option("--detectors", features->detectors, "Folder of the BlazeFace .fgnet files")
      ->capture_default_str();
  auto sheet = std::make_shared<AugmentSheetOptions>();
  CLI::App* a = cmd->add_subcommand(
      "augment", "Training faces as training sees them, with train's augmentation options");
  a->add_option("data", sheet->data, "Packed dataset (.fgds)")->required();
  a->add_option("--out", sheet->out, "PNG to write")->required();
  a->add_option("--faces", sheet->faces, "Rows (faces)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  a->add_option("--variants", sheet->variants, "Augmentations per face")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  a->add_option("--seed", sheet->seed, "Random seed")->capture_default_str();
  add_augment_options(a, sheet->augment);
  a->callback([sheet] { plot_augmentations(*sheet); });

  f->callback([features] {
    plot_features(features->checkpoint, features->photo, features->cascades, features->detectors,
                  features->out);
  });
}

}  // namespace facegender::cli
