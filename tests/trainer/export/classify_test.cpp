// `facegender classify`: faces found and labelled in a real photo, JSON Lines
// that parse, one error line per unusable file while the run goes on, clear
// errors for unusable models, annotation, EXIF orientation and the pixel cap.
#include "classify/classify.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>

#include "common/files.hpp"
#include "export_support.hpp"

namespace facegender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::dlib_photo;
using testing::run_cli;
using testing::scratch_dir;

const std::string kPhoto = "2008_002470.jpg";  // 500x332, several frontal faces

std::string model() {
  return testing::shared_compact_model();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void expect_well_formed_face(const json& face, int width, int height) {
  const std::vector<int> box = face.at("box").get<std::vector<int>>();
  ASSERT_EQ(box.size(), 4u);
  EXPECT_GE(box[0], 0);
  EXPECT_GE(box[1], 0);
  EXPECT_GT(box[2], 0);
  EXPECT_GT(box[3], 0);
  EXPECT_LE(box[0] + box[2], width);
  EXPECT_LE(box[1] + box[3], height);
  const std::string label = face.at("label").get<std::string>();
  EXPECT_TRUE(std::regex_match(label, std::regex(R"((female|male) \d{1,3}\.\d\d%)"))) << label;
  const json& p = face.at("probabilities");
  ASSERT_EQ(p.size(), 2u);
  const double female = p.at("female").get<double>();
  const double male = p.at("male").get<double>();
  EXPECT_NEAR(female + male, 1.0, 1e-5);
  const double confidence = face.at("confidence").get<double>();
  EXPECT_DOUBLE_EQ(confidence, std::max(female, male));
  EXPECT_EQ(label.substr(0, label.find(' ')), female >= male ? "female" : "male");
  char percent[16];
  std::snprintf(percent, sizeof percent, "%.2f%%", confidence * 100.0);
  EXPECT_TRUE(label.ends_with(percent)) << label << " vs " << percent;
}

TEST(Classify, FindsAndLabelsTheFacesOfAPhotoAsJsonLines) {
  const testing::CliResult result =
      run_cli({"classify", "--json", "--model", model(), dlib_photo(kPhoto)});
  ASSERT_TRUE(result.ok) << result.error << result.err;
  const std::vector<json> lines = testing::json_lines(result.out);
  ASSERT_EQ(lines.size(), 1u);
  const json& line = lines[0];
  EXPECT_EQ(line.at("file"), dlib_photo(kPhoto));
  EXPECT_FALSE(line.contains("error"));
  EXPECT_EQ(line.at("width"), 500);
  EXPECT_EQ(line.at("height"), 332);
  const json& faces = line.at("faces");
  EXPECT_GE(faces.size(), 3u);
  for (const json& face : faces) expect_well_formed_face(face, 500, 332);

  // The boxes are the core's, for the same search settings.
  const cv::Mat bgr = cv::imread(dlib_photo(kPhoto), cv::IMREAD_COLOR);
  const Cascade cascade = classify::load_face_cascade(FACEGENDER_CASCADE_DIR);
  const ImageView view(std::span<const std::uint8_t>(bgr.data, bgr.total() * 3), bgr.cols, bgr.rows,
                       PixelFormat::BGR8);
  const std::vector<Box> boxes =
      find_faces(cascade, to_gray(view).view(), classify::FaceOptions::default_search());
  ASSERT_EQ(boxes.size(), faces.size());
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    EXPECT_EQ(faces[i].at("box"), json({boxes[i].x, boxes[i].y, boxes[i].width, boxes[i].height}));
  }
}

TEST(Classify, TextOutputHasABoxAndATwoDecimalLabelPerFace) {
  const testing::CliResult result = run_cli({"classify", "--model", model(), dlib_photo(kPhoto)});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.out.starts_with(dlib_photo(kPhoto) + ": 500x332, ")) << result.out;
  const std::regex face_line(R"(  face \d+ \[\d+, \d+, \d+, \d+\]: (female|male) \d{1,3}\.\d\d%)");
  std::istringstream lines(result.out);
  std::string line;
  std::getline(lines, line);
  int faces = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_match(line, face_line)) << line;
    ++faces;
  }
  EXPECT_GE(faces, 3);
}

TEST(Classify, UnusableFilesGiveErrorLinesAndTheRunGoesOn) {
  const std::string dir = scratch_dir("bad-files");
  const std::string text = dir + "/notes.jpg";
  write_file_atomically(text, "this is not an image\n");
  const std::string truncated = dir + "/truncated.jpg";
  const std::string photo = read_file(dlib_photo(kPhoto));
  write_file_atomically(truncated, photo.substr(0, photo.size() / 2));
  const std::string missing = dir + "/missing.jpg";

  const testing::CliResult result = run_cli(
      {"classify", "--json", "--model", model(), text, dlib_photo(kPhoto), truncated, missing});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "3 of 4 files")) << result.error;
  const std::vector<json> lines = testing::json_lines(result.out);
  ASSERT_EQ(lines.size(), 4u);
  const std::vector<std::string> bad = {text, truncated, missing};
  const std::size_t bad_lines[] = {0, 2, 3};
  for (std::size_t i = 0; i < 3; ++i) {
    const json& line = lines[bad_lines[i]];
    EXPECT_EQ(line.at("file"), bad[i]);
    ASSERT_TRUE(line.contains("error")) << line;
    EXPECT_TRUE(contains(line.at("error").get<std::string>(), bad[i])) << line;
    EXPECT_FALSE(line.contains("faces")) << line;
  }
  EXPECT_FALSE(lines[1].contains("error"));
  EXPECT_GE(lines[1].at("faces").size(), 3u);
}

TEST(Classify, BinaryExitsNonZeroWhenAFileFails) {
  const testing::ProcessResult good =
      testing::run_binary({"classify", "--json", "--model", model(), dlib_photo(kPhoto)});
  EXPECT_EQ(good.status, 0);
  EXPECT_EQ(testing::json_lines(good.out).size(), 1u);
  const testing::ProcessResult bad = testing::run_binary(
      {"classify", "--json", "--model", model(), dlib_photo(kPhoto), "/nonexistent/x.jpg"});
  EXPECT_EQ(bad.status, 1);
  const std::vector<json> lines = testing::json_lines(bad.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[1].contains("error"));
}

TEST(Classify, UnusableModelsAreClearErrorsNamingTheFile) {
  const std::string dir = scratch_dir("bad-models");
  const std::string garbage = dir + "/garbage.onnx";
  write_file_atomically(garbage, "definitely not protobuf \xff\xff\xff\xff");
  testing::CliResult result = run_cli({"classify", "--model", garbage, dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, garbage)) << result.error;
  EXPECT_TRUE(contains(result.error, "not a usable facegender ONNX model")) << result.error;
  EXPECT_TRUE(result.out.empty());

  // A real ONNX graph without the metadata the core needs.
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(read_file(model())));
  proto.clear_metadata_props();
  const std::string bare = dir + "/bare.onnx";
  write_file_atomically(bare, proto.SerializeAsString());
  result = run_cli({"classify", "--model", bare, dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, bare)) << result.error;
  EXPECT_TRUE(contains(result.error, "class_names")) << result.error;

  // Half a model: protobuf may parse it, the graph is incomplete.
  const std::string bytes = read_file(model());
  const std::string half = dir + "/half.onnx";
  write_file_atomically(half, bytes.substr(0, bytes.size() / 2));
  result = run_cli({"classify", "--model", half, dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, half)) << result.error;

  result = run_cli({"classify", "--model", dir + "/none.onnx", dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "facegender export")) << result.error;
}

TEST(Classify, WholeImageIsOneFace) {
  const testing::CliResult result =
      run_cli({"classify", "--json", "--whole-image", "--model", model(), dlib_photo(kPhoto)});
  ASSERT_TRUE(result.ok) << result.error;
  const json line = testing::json_lines(result.out).at(0);
  ASSERT_EQ(line.at("faces").size(), 1u);
  EXPECT_EQ(line.at("faces")[0].at("box"), json({0, 0, 500, 332}));
  expect_well_formed_face(line.at("faces")[0], 500, 332);
}

TEST(Classify, AnnotateDrawsEachFace) {
  const std::string dir = scratch_dir("annotate");
  const std::string out = dir + "/one.png";
  ASSERT_TRUE(run_cli({"classify", "--model", model(), "--annotate", out, dlib_photo(kPhoto)}).ok);
  const cv::Mat drawn = cv::imread(out, cv::IMREAD_COLOR);
  const cv::Mat photo = cv::imread(dlib_photo(kPhoto), cv::IMREAD_COLOR);
  ASSERT_EQ(drawn.size(), photo.size());
  EXPECT_GT(cv::norm(drawn, photo, cv::NORM_L1), 0.0);

  // Several photos: a folder, one drawing each.
  const std::string folder = dir + "/many";
  ASSERT_TRUE(run_cli({"classify", "--model", model(), "--annotate", folder, dlib_photo(kPhoto),
                       dlib_photo("2008_001322.jpg")})
                  .ok);
  EXPECT_TRUE(fs::exists(folder + "/2008_002470.png"));
  EXPECT_TRUE(fs::exists(folder + "/2008_001322.png"));
  EXPECT_FALSE(run_cli({"classify", "--model", model(), "--annotate", dir + "/x.png",
                        dlib_photo(kPhoto), dlib_photo("2008_001322.jpg")})
                   .ok);
}

// The drawing's "2 male 88.00%" is the JSON's face with "number": 2, the
// second of its faces; the text lines say "face 2" for the same face.
TEST(Classify, JsonNumbersTheFacesInTheirOrder) {
  const std::string dir = scratch_dir("annotate-numbers");
  const testing::CliResult result = run_cli({"classify", "--json", "--model", model(), "--annotate",
                                             dir + "/drawn.png", dlib_photo(kPhoto)});
  ASSERT_TRUE(result.ok) << result.error << result.err;
  const json faces = testing::json_lines(result.out).at(0).at("faces");
  ASSERT_GE(faces.size(), 3u);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    EXPECT_EQ(faces[i].at("number"), i + 1);
    // First in its object (json sorts keys, so this reads the text).
    EXPECT_TRUE(contains(result.out, "{\"number\":" + std::to_string(i + 1) + ",\"box\":"))
        << result.out;
  }

  // The drawing's labels are those numbers and labels, whole, inside the photo.
  const cv::Mat photo = cv::imread(dlib_photo(kPhoto), cv::IMREAD_COLOR);
  std::vector<classify::FaceResult> results(faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const std::vector<int> box = faces[i].at("box").get<std::vector<int>>();
    results[i].box = Box{box[0], box[1], box[2], box[3]};
    results[i].prediction.label = faces[i].at("label").get<std::string>();
  }
  const std::vector<classify::PlacedLabel> labels = classify::annotation_labels(photo, results);
  ASSERT_EQ(labels.size(), faces.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Box& rect = labels[i].rect;
    EXPECT_EQ(labels[i].text, std::to_string(i + 1) + " " + results[i].prediction.label);
    EXPECT_TRUE(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= photo.cols &&
                rect.y + rect.height <= photo.rows)
        << labels[i].text;
  }
}

TEST(Classify, PixelCapIsCheckedBeforeDecoding) {
  const testing::CliResult result = run_cli(
      {"classify", "--json", "--max-pixels", "100000", "--model", model(), dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  const json line = testing::json_lines(result.out).at(0);
  ASSERT_TRUE(line.contains("error"));
  EXPECT_TRUE(contains(line.at("error").get<std::string>(), dlib_photo(kPhoto))) << line;
  EXPECT_THROW(classify::read_photo(dlib_photo(kPhoto), 500 * 332 - 1), std::runtime_error);
  EXPECT_EQ(classify::read_photo(dlib_photo(kPhoto), 500 * 332).cols, 500);
}

TEST(Classify, FoldersGiveTheirImagesSorted) {
  const std::string dir = scratch_dir("folder");
  fs::create_directories(dir + "/sub");
  fs::copy_file(dlib_photo(kPhoto), dir + "/b.jpg");
  fs::copy_file(dlib_photo(kPhoto), dir + "/sub/c.JPG");
  cv::imwrite(dir + "/a.png", cv::imread(dlib_photo(kPhoto)));
  write_file_atomically(dir + "/notes.txt", "not a photo");
  EXPECT_EQ(classify::expand_inputs({dir, dlib_photo(kPhoto)}),
            (std::vector<std::string>{dir + "/a.png", dir + "/b.jpg", dir + "/sub/c.JPG",
                                      dlib_photo(kPhoto)}));
  const testing::CliResult result = run_cli({"classify", "--json", "--model", model(), dir});
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<json> lines = testing::json_lines(result.out);
  ASSERT_EQ(lines.size(), 3u);
  // PNG and JPEG of the same photo: the same faces, boxes for boxes.
  EXPECT_EQ(lines[0].at("faces").size(), lines[1].at("faces").size());
}

// A JPEG with an EXIF APP1 segment holding only Orientation = `orientation`.
std::string jpeg_with_orientation(const cv::Mat& image, std::uint16_t orientation) {
  std::vector<std::uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg);
  // TIFF header (little-endian, first IFD at 8), one IFD entry: tag 0x0112
  // (Orientation), type SHORT, count 1, the value; then no next IFD.
  const std::string tiff = std::string("II*\0\x08\0\0\0", 8) + std::string("\x01\0", 2) +
                           std::string("\x12\x01\x03\0\x01\0\0\0", 8) +
                           std::string{static_cast<char>(orientation), '\0', '\0', '\0'} +
                           std::string(4, '\0');
  const std::string app1 = std::string("Exif\0\0", 6) + tiff;
  const std::size_t length = app1.size() + 2;
  const std::string segment = std::string{'\xff', '\xe1', static_cast<char>(length >> 8),
                                          static_cast<char>(length & 0xff)} +
                              app1;
  std::string bytes(jpeg.begin(), jpeg.end());
  return bytes.substr(0, 2) + segment + bytes.substr(2);
}

TEST(Decode, ExifOrientationIsApplied) {
  cv::Mat image(20, 40, CV_8UC3);
  cv::randu(image, 0, 255);
  cv::GaussianBlur(image, image, {5, 5}, 2.0);
  const std::string bytes = jpeg_with_orientation(image, 6);  // rotate 90 degrees clockwise
  const cv::Mat decoded = classify::decode_photo(bytes, "exif.jpg", classify::kDefaultMaxPixels);
  EXPECT_EQ(decoded.cols, 20);
  EXPECT_EQ(decoded.rows, 40);
  const cv::Mat raw = cv::imdecode(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                                   cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  cv::Mat rotated;
  cv::rotate(raw, rotated, cv::ROTATE_90_CLOCKWISE);
  EXPECT_EQ(cv::norm(decoded, rotated, cv::NORM_INF), 0.0);
}

TEST(Decode, ErrorsNameTheFile) {
  try {
    classify::decode_photo("GIF89a not supported", "pic.gif", classify::kDefaultMaxPixels);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("pic.gif: ")) << e.what();
  }
  EXPECT_THROW(classify::read_photo("/nonexistent/a.jpg", classify::kDefaultMaxPixels),
               std::runtime_error);
}

TEST(Classify, LabelHasTwoDecimals) {
  EXPECT_EQ(classify::percent_label("female", 0.99734f), "female 99.73%");
  EXPECT_EQ(classify::percent_label("male", 0.5f), "male 50.00%");
  EXPECT_EQ(classify::percent_label("male", 1.0f), "male 100.00%");
}

// Regression: --annotate once wrote its drawings over the input photos.
TEST(Classify, AnnotateNeverReplacesAnInput) {
  const std::string dir = scratch_dir("annotate-inputs");
  const std::string png = dir + "/photo.png";
  ASSERT_TRUE(cv::imwrite(png, cv::imread(dlib_photo(kPhoto))));
  const std::string jpeg = dir + "/photo2.jpg";
  fs::copy_file(dlib_photo(kPhoto), jpeg);
  const std::string png_bytes = read_file(png), jpeg_bytes = read_file(jpeg);

  // The folder that holds the inputs: photo.png's drawing would be photo.png.
  testing::CliResult result =
      run_cli({"classify", "--model", model(), "--annotate", dir, png, jpeg});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, "would replace the input photo")) << result.error;
  EXPECT_TRUE(result.out.empty()) << "refused before any photo is classified";
  // One photo drawn onto itself, also spelled differently.
  result = run_cli({"classify", "--model", model(), "--annotate", jpeg, jpeg});
  EXPECT_FALSE(result.ok);
  result = run_cli({"classify", "--model", model(), "--annotate", dir + "/./photo2.jpg", jpeg});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(read_file(png), png_bytes);
  EXPECT_EQ(read_file(jpeg), jpeg_bytes);
  // Another file in the same folder is fine.
  EXPECT_TRUE(run_cli({"classify", "--model", model(), "--annotate", dir + "/drawn.jpg", jpeg}).ok);
}

// Regression: one file name that is not UTF-8 aborted the whole --json run.
TEST(Classify, JsonSurvivesFileNamesThatAreNotUtf8) {
  const std::string dir = scratch_dir("not-utf8");
  const std::string latin1 = dir + "/caf\xe9.jpg";
  fs::copy_file(dlib_photo(kPhoto), latin1);
  const testing::CliResult result =
      run_cli({"classify", "--json", "--model", model(), latin1, dlib_photo(kPhoto)});
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<json> lines = testing::json_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  std::string hex;
  for (const unsigned char c : latin1) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", c);
    hex += two;
  }
  EXPECT_EQ(lines[0].at("file_hex"), hex);
  EXPECT_GE(lines[0].at("faces").size(), 3u);
  EXPECT_FALSE(lines[1].contains("file_hex"));
}

// Regression: /dev/zero was read for 17 GB and a FIFO blocked the run.
TEST(Classify, DevicesAndFifosAreRefusedWithoutReading) {
  const std::string dir = scratch_dir("special");
  const std::string fifo = dir + "/pipe.jpg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const testing::CliResult result =
      run_cli({"classify", "--json", "--model", model(), "/dev/zero", fifo, dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  const std::vector<json> lines = testing::json_lines(result.out);
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(contains(lines[i].at("error").get<std::string>(), "not a regular file"))
        << lines[i];
  }
  EXPECT_GE(lines[2].at("faces").size(), 3u);
  EXPECT_THROW(read_file("/dev/zero"), std::runtime_error);
  EXPECT_THROW(read_file(fifo), std::runtime_error);
}

// The shipped model's graph with its Softmax made an Identity and its output
// renamed: the same network, giving logits.
std::string logits_model(const std::string& dir, const std::string& output_name,
                         const std::map<std::string, std::string>& extra_metadata = {}) {
  onnx::ModelProto proto;
  EXPECT_TRUE(proto.ParseFromString(read_file(model())));
  onnx::GraphProto& graph = *proto.mutable_graph();
  for (onnx::NodeProto& node : *graph.mutable_node()) {
    if (node.op_type() != "Softmax") continue;
    node.set_op_type("Identity");
    node.clear_attribute();
    node.set_output(0, output_name);
  }
  graph.mutable_output(0)->set_name(output_name);
  for (const auto& [key, value] : extra_metadata) {
    onnx::StringStringEntryProto& entry = *proto.add_metadata_props();
    entry.set_key(key);
    entry.set_value(value);
  }
  const std::string path = dir + "/" + output_name + ".onnx";
  write_file_atomically(path, proto.SerializeAsString());
  return path;
}

std::vector<double> first_face_probabilities(const testing::CliResult& result) {
  const json face = testing::json_lines(result.out).at(0).at("faces").at(0);
  return {face.at("probabilities").at("female").get<double>(),
          face.at("probabilities").at("male").get<double>()};
}

// Regression: logits were read as probabilities ("female 9.39%" from a
// negative number); the page applied softmax. Both now follow the core's rule.
TEST(Classify, LogitsOutputsGetTheCoresSoftmax) {
  const std::string dir = scratch_dir("logits");
  const testing::CliResult reference =
      run_cli({"classify", "--json", "--model", model(), dlib_photo(kPhoto)});
  ASSERT_TRUE(reference.ok) << reference.error;
  for (const std::string& path :
       {logits_model(dir, "logits"), logits_model(dir, "dense", {{"output", "logits"}})}) {
    const testing::CliResult result =
        run_cli({"classify", "--json", "--model", path, dlib_photo(kPhoto)});
    ASSERT_TRUE(result.ok) << result.error;
    const std::vector<double> got = first_face_probabilities(result);
    const std::vector<double> want = first_face_probabilities(reference);
    EXPECT_NEAR(got[0], want[0], 1e-5) << path;
    EXPECT_NEAR(got[1], want[1], 1e-5) << path;
  }
  // Neither name nor metadata: refused at load, saying why.
  const testing::CliResult unnamed =
      run_cli({"classify", "--json", "--model", logits_model(dir, "scores"), dlib_photo(kPhoto)});
  EXPECT_FALSE(unnamed.ok);
  EXPECT_TRUE(contains(unnamed.error, "neither \"probabilities\" nor \"logits\"")) << unnamed.error;
  EXPECT_TRUE(unnamed.out.empty());
}

// Regression: a model whose output does not match its classes failed on
// every photo instead of at load.
TEST(Classify, OutputThatDoesNotFitTheClassesIsRefusedAtLoad) {
  const std::string dir = scratch_dir("three-classes");
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(read_file(model())));
  for (onnx::StringStringEntryProto& entry : *proto.mutable_metadata_props()) {
    if (entry.key() == "class_names") entry.set_value(R"(["female","male","other"])");
  }
  const std::string path = dir + "/three.onnx";
  write_file_atomically(path, proto.SerializeAsString());
  const testing::CliResult result =
      run_cli({"classify", "--json", "--model", path, dlib_photo(kPhoto)});
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(contains(result.error, path)) << result.error;
  EXPECT_TRUE(contains(result.error, "3 classes")) << result.error;
  EXPECT_TRUE(result.out.empty()) << "no per-photo lines: refused before reading photos";
}

}  // namespace
}  // namespace facegender
