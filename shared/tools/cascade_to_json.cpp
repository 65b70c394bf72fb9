// Converts an OpenCV Haar cascade (new-style XML, as shipped in Debian's
// opencv-data) to the JSON the core reads. Runs at build time only: the WASM
// side has no XML parser, and the cascade files are not ours to commit.
//
//   cascade_to_json /usr/share/opencv4/haarcascades/haarcascade_eye.xml eye.json
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

namespace {

using nlohmann::json;

std::string text_of(const cv::FileNode& node) {
  return static_cast<std::string>(node);
}

void require(bool ok, const std::string& path, const std::string& what) {
  if (!ok) throw std::runtime_error(path + ": " + what);
}

json convert_trees(const cv::FileNode& weak_classifiers, const std::string& path) {
  json trees = json::array();
  for (const cv::FileNode& weak : weak_classifiers) {
    const cv::FileNode internal = weak["internalNodes"];
    const cv::FileNode leaf_values = weak["leafValues"];
    require(internal.isSeq() && internal.size() % 4 == 0 && leaf_values.isSeq(), path,
            "a weak classifier is not a tree of (left, right, feature, threshold) nodes");
    json nodes = json::array();
    for (std::size_t i = 0; i < internal.size(); i += 4) {
      nodes.push_back({static_cast<int>(internal[static_cast<int>(i)]),
                       static_cast<int>(internal[static_cast<int>(i + 1)]),
                       static_cast<int>(internal[static_cast<int>(i + 2)]),
                       static_cast<double>(internal[static_cast<int>(i + 3)])});
    }
    json leaves = json::array();
    for (const cv::FileNode& leaf : leaf_values) leaves.push_back(static_cast<double>(leaf));
    trees.push_back({{"nodes", nodes}, {"leaves", leaves}});
  }
  return trees;
}

json convert(const std::string& path) {
  cv::FileStorage storage(path, cv::FileStorage::READ);
  require(storage.isOpened(), path, "cannot open or parse as an OpenCV FileStorage file");
  const cv::FileNode root = storage.getFirstTopLevelNode();
  require(text_of(root["stageType"]) == "BOOST" && text_of(root["featureType"]) == "HAAR", path,
          "not a new-style BOOST/HAAR cascade (old-format and LBP cascades are not supported)");
  require(static_cast<int>(root["featureParams"]["maxCatCount"]) == 0, path,
          "categorical features are not supported");

  json out;
  out["format"] = "facegender-haar-cascade/1";
  out["source"] = std::filesystem::path(path).filename().string();
  out["window"] = {static_cast<int>(root["width"]), static_cast<int>(root["height"])};

  json stages = json::array();
  for (const cv::FileNode& stage : root["stages"]) {
    stages.push_back({{"threshold", static_cast<double>(stage["stageThreshold"])},
                      {"trees", convert_trees(stage["weakClassifiers"], path)}});
  }
  out["stages"] = stages;

  json features = json::array();
  for (const cv::FileNode& feature : root["features"]) {
    json rects = json::array();
    for (const cv::FileNode& rect : feature["rects"]) {
      require(rect.isSeq() && rect.size() == 5, path, "a feature rect is not (x, y, w, h, weight)");
      rects.push_back({static_cast<int>(rect[0]), static_cast<int>(rect[1]),
                       static_cast<int>(rect[2]), static_cast<int>(rect[3]),
                       static_cast<double>(rect[4])});
    }
    features.push_back(
        {{"rects", rects},
         {"tilted", feature["tilted"].empty() ? 0 : static_cast<int>(feature["tilted"])}});
  }
  out["features"] = features;
  return out;
}

// Written to a temporary name, then renamed, so a failed run never leaves a
// half-written cascade behind.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error(temporary + ": cannot write");
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cascade_to_json CASCADE.xml OUT.json\n";
    return 2;
  }
  try {
    write_atomically(argv[2], convert(argv[1]).dump());
  } catch (const std::exception& e) {
    std::cerr << "cascade_to_json: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
