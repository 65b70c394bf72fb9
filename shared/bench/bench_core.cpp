// Per-frame costs of the shared core on a 640x480 frame, printed as a table.
//
// Native:  bench_core --photo face.jpg --cascades build/native/cascades --frame-out frame.rgba
//          (decodes and scales the photo to 640x480, saves the RGBA frame, and
//           also times OpenCV's CascadeClassifier on the same frame)
// WASM:    node build/wasm/shared/bench/bench_core.js --frame frame.rgba --cascades
// build/native/cascades
//
// Each figure is the median (and p90) of repeated runs after a warm-up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "facegender/detect.hpp"
#include "facegender/preprocess.hpp"
#include "facegender/track.hpp"

#if FACEGENDER_BENCH_OPENCV
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#endif

namespace {

using namespace facegender;

constexpr int kWidth = 640;
constexpr int kHeight = 480;

struct Timing {
  double median_ms;
  double p90_ms;
};

Timing time_it(int runs, const std::function<void()>& work) {
  work();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 9 / 10)]};
}

void row(const char* build, const char* what, const Timing& t, const std::string& note = "") {
  std::printf("| %-6s | %-52s | %8.3f | %8.3f | %s\n", build, what, t.median_ms, t.p90_ms,
              note.c_str());
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Options {
  std::string photo;
  std::string frame;
  std::string frame_out;
  std::string cascades;
  int runs = 30;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--photo")
      o.photo = value;
    else if (key == "--frame")
      o.frame = value;
    else if (key == "--frame-out")
      o.frame_out = value;
    else if (key == "--cascades")
      o.cascades = value;
    else if (key == "--runs")
      o.runs = std::stoi(value);
    else
      throw std::runtime_error("unknown option " + key);
  }
  if (o.cascades.empty() || (o.photo.empty() == o.frame.empty())) {
    throw std::runtime_error(
        "usage: bench_core (--photo PHOTO.jpg [--frame-out FRAME.rgba] | --frame FRAME.rgba) "
        "--cascades DIR [--runs N]");
  }
  return o;
}

#if FACEGENDER_BENCH_OPENCV
// The photo scaled (cover) and centre-cropped to 640x480, as RGBA.
std::vector<std::uint8_t> frame_from_photo(const std::string& path) {
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error(path + ": cannot decode");
  const double scale =
      std::max(static_cast<double>(kWidth) / bgr.cols, static_cast<double>(kHeight) / bgr.rows);
  cv::Mat scaled;
  cv::resize(bgr, scaled, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  const cv::Rect centre((scaled.cols - kWidth) / 2, (scaled.rows - kHeight) / 2, kWidth, kHeight);
  cv::Mat rgba;
  cv::cvtColor(scaled(centre), rgba, cv::COLOR_BGR2RGBA);
  return {rgba.data, rgba.data + rgba.total() * rgba.elemSize()};
}
#endif

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
#if FACEGENDER_BENCH_OPENCV
    const char* build = "native";
    std::vector<std::uint8_t> rgba =
        options.photo.empty() ? read_file(options.frame) : frame_from_photo(options.photo);
    if (!options.frame_out.empty())
      std::ofstream(options.frame_out, std::ios::binary)
          .write(reinterpret_cast<const char*>(rgba.data()),
                 static_cast<std::streamsize>(rgba.size()));
#else
    const char* build = "wasm";
    if (options.frame.empty())
      throw std::runtime_error("the WASM bench reads a --frame made by the native one");
    std::vector<std::uint8_t> rgba = read_file(options.frame);
#endif
    const ImageView frame(rgba, kWidth, kHeight, PixelFormat::RGBA8);
    const Cascade faces =
        Cascade::from_file(options.cascades + "/haarcascade_frontalface_default.json");
    const Image gray = to_gray(frame);
    DetectParams params;  // 1.1, 3 neighbours
    params.min_size = 24;
    const std::vector<Box> found = faces.detect(gray.view(), params);
    const Box face = found.empty() ? Box{240, 160, 160, 160} : found.front();
    const CropGeometry geometry;

    std::printf(
        "| build  | step (640x480 RGBA frame)                            | median ms | p90 ms | "
        "note\n");
    std::printf(
        "|--------|------------------------------------------------------|----------:|-------:|----"
        "-\n");
    row(build, "grayscale", time_it(options.runs, [&] { (void)to_gray(frame); }));
    row(build, "grayscale + resize to 320x240 (area)", time_it(options.runs, [&] {
          const Image g = to_gray(frame);
          (void)resize(g.view(), 320, 240);
        }));
    row(build, "grayscale + resize 320x240 + face crop + 80x80 tensor", time_it(options.runs, [&] {
          const Image g = to_gray(frame);
          (void)resize(g.view(), 320, 240);
          const Image crop = crop_face(g.view(), face, geometry);
          (void)to_tensor(center_crop(crop.view(), geometry.input).view(), Normalization{});
        }));
    const int detect_runs = std::max(3, options.runs / 3);
    row(build, "detect, core, full 640x480 (1.1, 3, min 24)",
        time_it(detect_runs, [&] { (void)faces.detect(gray.view(), params); }),
        std::to_string(found.size()) + " faces");
    FaceSearch search;
    search.detect = params;
    search.max_side = 320;
    std::size_t shrunk_faces = 0;
    const Timing shrunk =
        time_it(detect_runs, [&] { shrunk_faces = find_faces(faces, gray.view(), search).size(); });
    row(build, "find_faces, core, shrunk to 320 (1.1, 3, min 24)", shrunk,
        std::to_string(shrunk_faces) + " faces");
    // The webcam's frames between full searches: one search above, then only
    // a window around each face it found.
    FaceTracker tracker(search, TrackSettings{1 << 30, 2.0, 36});
    (void)tracker.update(faces, gray.view());
    std::size_t tracked_faces = 0;
    const Timing tracked =
        time_it(options.runs, [&] { tracked_faces = tracker.update(faces, gray.view()).size(); });
    row(build, "FaceTracker, a frame between full searches", tracked,
        std::to_string(tracked_faces) + " faces followed");
#if FACEGENDER_BENCH_OPENCV
    cv::CascadeClassifier opencv(
        std::string("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"));
    const cv::Mat gray_mat(kHeight, kWidth, CV_8UC1, const_cast<std::uint8_t*>(gray.row(0)));
    std::vector<cv::Rect> boxes;
    auto opencv_detect = [&] {
      opencv.detectMultiScale(gray_mat, boxes, 1.1, 3, 0, cv::Size(24, 24));
    };
    const int threads = cv::getNumThreads();
    const Timing parallel = time_it(detect_runs, opencv_detect);
    row(build, "detect, OpenCV 4.6 detectMultiScale, default threads", parallel,
        std::to_string(boxes.size()) + " faces, " + std::to_string(threads) + " threads");
    cv::setNumThreads(1);
    const Timing single = time_it(detect_runs, opencv_detect);
    row(build, "detect, OpenCV 4.6 detectMultiScale, 1 thread", single,
        std::to_string(boxes.size()) + " faces");
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_core: %s\n", e.what());
    return 1;
  }
  return 0;
}
