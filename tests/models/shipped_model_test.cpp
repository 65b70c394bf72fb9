#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "classify/classify.hpp"
#include "classify/onnx_model.hpp"
#include "test_support.hpp"

namespace facegender {
namespace {

const std::string kModel = std::string(FACEGENDER_MODELS_DIR) + "/facegender.onnx";
const std::string kExpected = std::string(FACEGENDER_MODELS_DIR) + "/expected-classify.jsonl";

TEST(ShippedModel, LoadsWithTheMetadataTheAppsNeed) {
  OnnxModel model = OnnxModel::load(kModel);
  EXPECT_EQ(model.spec().class_names, (std::vector<std::string>{"male", "female"}));
  EXPECT_EQ(model.input_size(), 80);
  // Faces found by BlazeFace and cut by the aligned crop, at the model's input size.
  EXPECT_EQ(model.spec().detector, "blazeface");
  EXPECT_EQ(model.spec().crop_spec.kind, CropKind::Aligned);
  EXPECT_EQ(model.spec().crop_spec.aligned.size, 80);
  // Trained on the core's default crop, which prepare cuts without options.
  EXPECT_NEAR(model.spec().crop_spec.aligned.scale, AlignSpec{}.scale, 1e-6);
  // Calibrated on validation faces (facegender calibrate): a temperature
  // other than the default 1 travels in the metadata.
  EXPECT_TRUE(model.metadata().count("temperature"));
  EXPECT_GT(model.spec().temperature, 0.0f);
  EXPECT_NE(model.spec().temperature, 1.0f);
  // Made with this core's preprocessing: a change to it needs a new model.
  EXPECT_EQ(model.metadata().at("core_version"), std::string(core_version()));
  for (const char* key : {"architecture", "training_data", "metrics", "hyperparameters"}) {
    EXPECT_TRUE(model.metadata().count(key)) << key;
  }
  EXPECT_LE(std::filesystem::file_size(kModel), 1024u * 1024u);
}

// The documented output (made with `facegender classify --json` on the dlib
// example photos when the model was shipped) must still come out: the same
// faces, labels, and probabilities within 1e-4.
TEST(ShippedModel, GivesTheDocumentedOutputOnTheTestPhotos) {
  OnnxModel model = OnnxModel::load(kModel);
  // The detector the model's metadata names, as `facegender classify` does.
  const classify::FaceOptions options;
  const classify::Detectors detectors = classify::load_detectors(
      options, model.spec(), FACEGENDER_CASCADE_DIR, FACEGENDER_DETECTOR_DIR);
  std::ifstream expected_lines(kExpected);
  ASSERT_TRUE(expected_lines) << kExpected;
  std::string line;
  int faces = 0;
  while (std::getline(expected_lines, line)) {
    const nlohmann::json expected = nlohmann::json::parse(line);
    const std::string path =
        std::string(FACEGENDER_TEST_PHOTOS) + "/dlib-faces/" + expected["file"].get<std::string>();
    const classify::PhotoResult got =
        classify::classify_photo(model, detectors, options, path, classify::kDefaultMaxPixels);
    ASSERT_TRUE(got.error.empty()) << got.error;
    ASSERT_EQ(got.faces.size(), expected["faces"].size()) << path;
    for (std::size_t i = 0; i < got.faces.size(); ++i) {
      const nlohmann::json& want = expected["faces"][i];
      const Box& box = got.faces[i].box;
      EXPECT_EQ((std::vector<int>{box.x, box.y, box.width, box.height}),
                want["box"].get<std::vector<int>>());
      EXPECT_EQ(classify::percent_label(got.faces[i].prediction.class_name,
                                        got.faces[i].prediction.confidence),
                want["label"].get<std::string>());
      for (std::size_t c = 0; c < model.spec().class_names.size(); ++c) {
        EXPECT_NEAR(got.faces[i].probabilities[c],
                    want["probabilities"][model.spec().class_names[c]].get<double>(), 1e-4);
      }
      ++faces;
    }
  }
  EXPECT_GT(faces, 10);
}

}  // namespace
}  // namespace facegender
