// Face-finding recall, false faces and speed of the front end, printed as a
// table: BlazeFace with each scene preset against the Haar search that the
// trainer's classify used by default before (min neighbours 5, longest side
// 1024). Native only (OpenCV decodes the photos).
//
//   bench_detect --detectors build/native/detectors --cascades build/native/cascades
//       [--dataset NAME=LABELS.csv[:SPLIT]]... [--face-free DIR]... [--photos DIR]...
//       [--limit N]
//
// A dataset's images are those of LABELS.csv (columns path and sha256; paths
// relative to its folder) in SPLIT (test, val or train by DEVELOPERS.md's
// rule: first 8 hex digits of the SHA-256 as an integer, mod 10: 0 test,
// 1 val). "found" is the share of images with at least one face. A face-free
// folder counts the faces found (all false). --photos prints every face per
// photo (for looking at group photos by hand).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "facegender/dataset.hpp"
#include "facegender/detect.hpp"
#include "facegender/face_finder.hpp"
#include "facegender/preprocess.hpp"

namespace {

namespace fs = std::filesystem;
using namespace facegender;
using Clock = std::chrono::steady_clock;

struct Dataset {
  std::string name;
  std::vector<fs::path> images;
};

std::string split_of(const std::string& sha256) {
  return facegender::to_string(facegender::split_of_sha256(sha256));
}

Dataset read_dataset(const std::string& spec, std::size_t limit) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) throw std::runtime_error("--dataset wants NAME=LABELS.csv[:SPLIT]");
  Dataset d{spec.substr(0, eq), {}};
  std::string csv = spec.substr(eq + 1), split;
  if (const auto colon = csv.rfind(':'); colon != std::string::npos) {
    split = csv.substr(colon + 1);
    csv = csv.substr(0, colon);
  }
  std::ifstream in(csv);
  if (!in) throw std::runtime_error(csv + ": cannot open");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  for (std::stringstream ss(line); std::getline(ss, line, ',');) header.push_back(line);
  const auto col = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw std::runtime_error(csv + ": no column " + name);
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t path_col = col("path"), sha_col = col("sha256");
  while (std::getline(in, line) && d.images.size() < limit) {
    std::vector<std::string> f;
    for (std::stringstream ss(line); std::getline(ss, line, ',');) f.push_back(line);
    if (f.size() <= std::max(path_col, sha_col)) continue;
    if (!split.empty() && split_of(f[sha_col]) != split) continue;
    d.images.push_back(fs::path(csv).parent_path() / f[path_col]);
  }
  if (!split.empty()) d.name += " (" + split + ")";
  return d;
}

Dataset read_folder(const std::string& dir, std::size_t limit) {
  Dataset d{dir, {}};
  std::vector<fs::path> all;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".JPG"))
      all.push_back(e.path());
  }
  std::sort(all.begin(), all.end());
  if (all.size() > limit) all.resize(limit);
  d.images = all;
  return d;
}

struct Method {
  std::string name;
  std::function<std::size_t(const ImageView& rgb, const ImageView& gray)> count;
};

struct Tally {
  std::size_t images = 0, with_face = 0, faces = 0;
  double ms = 0;
};

void print_row(const std::string& data, const std::string& method, const Tally& t) {
  const auto n = static_cast<double>(std::max<std::size_t>(1, t.images));
  std::printf("| %s | %s | %zu | %.2f%% | %zu | %.2f | %.1f |\n", data.c_str(), method.c_str(),
              t.images, 100.0 * static_cast<double>(t.with_face) / n, t.faces,
              static_cast<double>(t.faces) / n, t.ms / n);
}

void run(const Dataset& d, const std::vector<Method>& methods, bool list_faces) {
  std::vector<Tally> tallies(methods.size());
  for (const fs::path& p : d.images) {
    cv::Mat bgr = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) {
      std::fprintf(stderr, "%s: cannot decode, skipped\n", p.c_str());
      continue;
    }
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    const ImageView view({rgb.data, rgb.total() * 3}, rgb.cols, rgb.rows, PixelFormat::RGB8,
                         rgb.step);
    const Image gray = to_gray(view);
    for (std::size_t m = 0; m < methods.size(); ++m) {
      const auto t0 = Clock::now();
      const std::size_t n = methods[m].count(view, gray.view());
      tallies[m].ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      ++tallies[m].images;
      tallies[m].faces += n;
      tallies[m].with_face += n > 0;
      if (list_faces)
        std::printf("%s: %s %zu faces\n", p.filename().c_str(), methods[m].name.c_str(), n);
    }
  }
  for (std::size_t m = 0; m < methods.size(); ++m) print_row(d.name, methods[m].name, tallies[m]);
}

}  // namespace

int main(int argc, char** argv) try {
  std::string detectors, cascades;
  std::vector<std::string> datasets, face_free, photos;
  std::size_t limit = 1000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--detectors")
      detectors = value;
    else if (flag == "--cascades")
      cascades = value;
    else if (flag == "--dataset")
      datasets.push_back(value);
    else if (flag == "--face-free")
      face_free.push_back(value);
    else if (flag == "--photos")
      photos.push_back(value);
    else if (flag == "--limit")
      limit = std::stoul(value);
    else
      throw std::runtime_error("unknown flag " + flag);
  }
  if (detectors.empty() || cascades.empty())
    throw std::runtime_error("--detectors and --cascades are required");
  const FaceFinder finder(
      BlazeFace(InferenceNetwork::from_file(detectors + "/face_detection_short_range.fgnet"),
                BlazeFaceModel::ShortRange),
      BlazeFace(InferenceNetwork::from_file(detectors + "/face_detection_full_range.fgnet"),
                BlazeFaceModel::FullRange));
  const Cascade haar = Cascade::from_file(cascades + "/haarcascade_frontalface_default.json");
  FaceSearch old_search;
  old_search.detect.min_neighbors = 5;
  old_search.max_side = 1024;
  std::vector<Method> methods;
  for (Scene scene : {Scene::Photo, Scene::Chip}) {
    const SceneSettings s = scene_settings(scene);
    methods.push_back({std::string("BlazeFace, ") + to_string(scene) + " preset",
                       [&finder, s](const ImageView& rgb, const ImageView&) {
                         return finder.find(rgb, s).size();
                       }});
  }
  methods.push_back({"Haar (old classify default)", [&](const ImageView&, const ImageView& gray) {
                       return find_faces(haar, gray, old_search).size();
                     }});
  std::printf(
      "| images | method | count | with a face | faces | faces per image | ms per image "
      "|\n|---|---|---:|---:|---:|---:|---:|\n");
  for (const auto& spec : datasets) run(read_dataset(spec, limit), methods, false);
  for (const auto& dir : face_free) run(read_folder(dir, limit), methods, false);
  for (const auto& dir : photos) run(read_folder(dir, limit), methods, true);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_detect: %s\n", e.what());
  return 1;
}
