// `facegender prepare`: face photos -> one packed dataset (.fgds) of 100x100
// gray face crops, with a report of what was kept and why the rest was not.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/core/utils/logger.hpp>

#include "commands.hpp"
#include "common/files.hpp"
#include "common/json_text.hpp"
#include "prepare/gzip_file.hpp"
#include "prepare/prepare.hpp"
#include "prepare/report.hpp"

#ifndef FACEGENDER_DEFAULT_DETECTOR_DIR
#define FACEGENDER_DEFAULT_DETECTOR_DIR "build/native/detectors"
#endif
#ifndef FACEGENDER_DEFAULT_CASCADE_DIR
#define FACEGENDER_DEFAULT_CASCADE_DIR "build/native/cascades"
#endif
#ifndef FACEGENDER_DEFAULT_LANDMARKS
#define FACEGENDER_DEFAULT_LANDMARKS "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
#endif

namespace facegender::cli {
namespace {

namespace fs = std::filesystem;
using prepare::PrepareOptions;

struct CommandOptions {
  PrepareOptions prepare;
  std::string ambiguous_label;
  std::string no_face = "drop";
  std::string scene = "photo";
  std::string crop = "aligned";
  std::string out;
  std::string compressed;
  std::string report;
  bool json = false;
  CLI::Option* ambiguous_option = nullptr;
  CLI::Option* min_face_option = nullptr;
};

std::string mebibytes(std::uintmax_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// data.fgds -> data.report.md, beside it.
std::string markdown_path(const std::string& out) {
  return fs::path(out).replace_extension(".report.md").string();
}

std::string markdown_document(const nlohmann::json& report) {
  std::string md = "# facegender prepare: " + report.value("input", std::string()) + "\n\n";
  md += std::to_string(report.value("inputs", 0)) + " inputs, " +
        std::to_string(report.value("kept", 0)) + " kept, " +
        std::to_string(report.value("dropped", 0)) + " dropped (" +
        std::to_string(report.value("kept_no_face_center", 0)) + " kept via --no-face center), " +
        report["seconds"].dump() + " s, " + report["images_per_second"].dump() + " images/s, " +
        report["threads"].dump() + " threads.\n\n";
  md += prepare::markdown_report(report);
  if (report.contains("pose"))
    md += "\nPose of the measured faces: `" + report["pose"].dump() + "`\n";
  return md;
}

nlohmann::json write_outputs(const dataset::PackedDataset& data, const CommandOptions& o) {
  nlohmann::json outputs;
  auto started = std::chrono::steady_clock::now();
  auto seconds_since = [&started] {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    started = std::chrono::steady_clock::now();
    return std::round(s * 100.0) / 100.0;
  };
  dataset::write(data, o.out);
  outputs["dataset"] = {
      {"path", o.out}, {"bytes", fs::file_size(o.out)}, {"seconds", seconds_since()}};
  std::cerr << "wrote " << o.out << ": " << data.size() << " faces, "
            << mebibytes(fs::file_size(o.out)) << "\n";
  if (!o.compressed.empty()) {
    const std::uint64_t bytes = prepare::gzip_file(o.out, o.compressed);
    outputs["compressed"] = {
        {"path", o.compressed}, {"bytes", bytes}, {"seconds", seconds_since()}};
    std::cerr << "wrote " << o.compressed << ": " << mebibytes(bytes) << " (gzip -9 of "
              << mebibytes(fs::file_size(o.out)) << ")\n";
  }
  return outputs;
}

void run(CommandOptions& o) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  if (o.ambiguous_option != nullptr && o.ambiguous_option->count() > 0) {
    o.prepare.csv.ambiguous_label = o.ambiguous_label;
  }
  o.prepare.face.center_when_no_face = o.no_face == "center";
  const std::string input = o.prepare.csv.path.empty() ? o.prepare.input_dir : o.prepare.csv.path;

  dataset::PackedDataset data = prepare::prepare_dataset(o.prepare, std::cerr);
  const std::string markdown = markdown_document(data.report);
  if (!o.json) std::cout << markdown;
  try {
    prepare::check_usable(data, input);
  } catch (const std::runtime_error&) {
    if (o.json) std::cout << json_text(data.report) << "\n";  // why, for a script, before failing
    throw;
  }

  nlohmann::json report = data.report;
  report["outputs"] = write_outputs(data, o);
  write_file_atomically(markdown_path(o.out), markdown);
  if (!o.report.empty()) write_file_atomically(o.report, json_text(report, 2) + "\n");
  if (o.json) std::cout << json_text(report) << "\n";
}

void add_input_options(CLI::App* cmd, CommandOptions& o) {
  CLI::Option* dir =
      cmd->add_option("input", o.prepare.input_dir,
                      "Folder in the seed's layout: Train/<class>/..., Eval/<class>/..., "
                      "optional ambiguous/ (eval-only)");
  CLI::Option* labels =
      cmd->add_option("--labels", o.prepare.csv.path,
                      "Labels CSV instead: columns path (relative to the CSV) and the "
                      "label column; age, race, sha256 kept/checked when present");
  dir->excludes(labels);
  labels->excludes(dir);
  cmd->add_option("--label-column", o.prepare.csv.label_column, "Label column of the CSV")
      ->capture_default_str();
  cmd->add_option("--classes", o.prepare.csv.classes,
                  "Class names in label order (class i = label/folder i or its name); default: the "
                  "label values or class folders, numeric order when all are numbers")
      ->delimiter(',');
  o.ambiguous_option = cmd->add_option("--ambiguous-label", o.ambiguous_label,
                                       "CSV label value marking eval-only images with no class");
  cmd->add_flag("--allow-outside-paths", o.prepare.csv.allow_outside_paths,
                "Accept CSV paths that are absolute or leave the CSV's folder (../)");
  cmd->add_option("--corrections", o.prepare.corrections,
                  "Label corrections CSV (sha256,label[,note]) applied to the images with those "
                  "bytes, e.g. models/label-corrections.csv");
}

void add_face_options(CLI::App* cmd, CommandOptions& o) {
  prepare::FaceOptions& face = o.prepare.face;
  cmd->add_option("--detector", face.detector,
                  "blazeface (keypoints; the crop --crop names; pose from the keypoints; what "
                  "the shipped model, the page and classify use) or haar (cascades and a box "
                  "crop, for older models)")
      ->check(CLI::IsMember({"haar", "blazeface"}))
      ->capture_default_str();
  cmd->add_option("--detectors", face.detector_dir, "Folder of the BlazeFace .fgnet files")
      ->capture_default_str();
  cmd->add_option("--scene", o.scene,
                  "BlazeFace preset: chip (a tight crop of one face) or photo (any photo)")
      ->check(CLI::IsMember({"chip", "photo"}))
      ->capture_default_str();
  cmd->add_option("--crop", o.crop,
                  "With blazeface: box (margin around the face box) or aligned (eyes level, "
                  "hairline to chin, from the keypoints)")
      ->check(CLI::IsMember({"box", "aligned"}))
      ->capture_default_str();
  cmd->add_option("--crop-scale", face.crop.aligned.scale,
                  "Aligned crop: side of the square in eye-to-mouth distances (the core's "
                  "default holds the face; larger takes in hair and ears). Recorded in the model")
      ->check(CLI::Range(2.0, 8.0))
      ->capture_default_str();
  cmd->add_option("--cascades", face.cascade_dir, "Folder of the Haar cascades as JSON")
      ->capture_default_str();
  cmd->add_option(
         "--pad", face.search.pad_fraction,
         "Replicated padding before detection, fraction of the longer side (tight crops need it)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--scale", face.search.detect.scale_factor, "Detection scale step")
      ->check(CLI::Range(1.01, 4.0))
      ->capture_default_str();
  cmd->add_option("--min-neighbors", face.search.detect.min_neighbors, "Detection min neighbours")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option(
         "--max-side", face.search.max_side,
         "Detect on a copy shrunk to this longer side (0 = full size); the crop uses full size")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--margin", face.geometry.margin,
                  "Crop margin, fraction of the face box's longer side")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  o.min_face_option =
      cmd->add_option("--min-face", face.min_face,
                      "Drop faces whose box's shorter side is under this many original pixels "
                      "(default 40; 100 with --detector haar)")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  cmd->add_option("--no-face", o.no_face,
                  "Photos without a face: drop, or center (keep a centre square)")
      ->check(CLI::IsMember({"drop", "center"}))
      ->capture_default_str();
  cmd->add_option("--max-pixels", face.max_pixels,
                  "Refuse images over this many pixels, from their header, before decoding")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void add_pose_options(CLI::App* cmd, CommandOptions& o) {
  prepare::FaceOptions& face = o.prepare.face;
  cmd->add_flag("--pose-filter", face.pose_filter,
                "Keep near-frontal faces only: yaw/pitch from dlib's 68 landmarks + solvePnP, roll "
                "from the eye line");
  cmd->add_option("--max-yaw", face.max_yaw, "Largest |yaw| in degrees")->capture_default_str();
  cmd->add_option("--max-pitch", face.max_pitch, "Largest |pitch| in degrees")
      ->capture_default_str();
  cmd->add_option("--max-roll", face.max_roll, "Largest |roll| in degrees")->capture_default_str();
  cmd->add_option("--landmarks", face.landmarks, "dlib 68-landmark model")->capture_default_str();
}

}  // namespace

void add_prepare(CLI::App& app) {
  auto o = std::make_shared<CommandOptions>();
  o->prepare.face.cascade_dir = FACEGENDER_DEFAULT_CASCADE_DIR;
  o->prepare.face.detector_dir = FACEGENDER_DEFAULT_DETECTOR_DIR;
  o->prepare.face.landmarks = FACEGENDER_DEFAULT_LANDMARKS;
  o->prepare.face.search.max_side = 1024;
  CLI::App* cmd = app.add_subcommand(
      "prepare",
      "Import face photos (folders or a labels CSV) into a packed dataset of face crops");
  add_input_options(cmd, *o);
  add_face_options(cmd, *o);
  add_pose_options(cmd, *o);
  cmd->add_option("--out", o->out, "Packed dataset to write (.fgds); a .report.md goes beside it")
      ->required();
  cmd->add_option("--compressed", o->compressed, "Also write a gzip of the dataset (.fgds.gz)");
  cmd->add_option("--report", o->report, "Also write the report as JSON");
  cmd->add_option("--threads", o->prepare.threads, "Worker threads (0 = one per hardware thread)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON on stdout (the table is not printed)");
  cmd->callback([o] {
    if (o->prepare.input_dir.empty() && o->prepare.csv.path.empty()) {
      throw CLI::RequiredError("an input folder or --labels CSV");
    }
    prepare::FaceOptions& face = o->prepare.face;
    face.scene = parse_scene(o->scene);
    if (face.detector == "haar" && o->min_face_option->count() == 0)
      face.min_face = prepare::kHaarMinFace;
    if (o->crop == "aligned") {
      // Stored larger than the model's input (augmentation crops inside it):
      // the centre input x input of it is the core's aligned crop.
      face.crop.kind = CropKind::Aligned;
      face.crop.aligned.scale *= static_cast<double>(face.geometry.size) / face.geometry.input;
      face.crop.aligned.size = face.geometry.size;
    }
    run(*o);
  });
}

}  // namespace facegender::cli
