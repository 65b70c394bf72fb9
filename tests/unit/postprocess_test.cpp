#include "facegender/postprocess.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace facegender {
namespace {

TEST(Softmax, SumsToOneAndSurvivesLargeLogits) {
  const std::vector<float> logits = {1000.0f, 1001.0f, 998.0f};
  const std::vector<float> p = softmax(logits);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0f, 1e-6f);
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(-1.0) + std::exp(-3.0)), 1e-6);
  EXPECT_THROW(softmax(std::vector<float>{}), InputError);
  EXPECT_THROW(softmax(std::vector<float>{1.0f, NAN}), InputError);
}

TEST(Label, FormatsOneDecimalPercent) {
  EXPECT_EQ(format_label("female", 0.973f), "female 97.3%");
  EXPECT_EQ(format_label("male", 0.99726f), "male 99.7%");
  EXPECT_EQ(format_label("male", 1.0f), "male 100.0%");
}

TEST(Predict, PicksTheMostProbableClass) {
  const Prediction p = predict(std::vector<float>{0.027f, 0.973f}, {"male", "female"});
  EXPECT_EQ(p.class_index, 1);
  EXPECT_EQ(p.class_name, "female");
  EXPECT_EQ(p.label, "female 97.3%");
  EXPECT_THROW(predict(std::vector<float>{0.5f, 0.5f}, {"only"}), InputError);
}

TEST(ModelSpec, ReadsMetadata) {
  const ModelSpec spec = parse_model_spec({{"class_names", R"(["male","female"])"},
                                           {"crop", R"({"margin":0.2,"size":100,"input":80})"},
                                           {"normalization", R"({"mean":0.5,"std":0.5})"}});
  EXPECT_EQ(spec.class_names, (std::vector<std::string>{"male", "female"}));
  EXPECT_EQ(spec.crop.input, 80);
  EXPECT_DOUBLE_EQ(spec.crop.margin, 0.2);
  EXPECT_EQ(spec.normalization, (Normalization{0.5f, 0.5f}));
}

TEST(ModelSpec, NamesTheBadKey) {
  try {
    parse_model_spec({{"class_names", R"(["male","female"])"}, {"crop", "{"}});
    FAIL() << "malformed crop accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"crop\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_model_spec({}), InputError);
  EXPECT_THROW(parse_model_spec({{"class_names", R"(["solo"])"}}), InputError);
}

TEST(ModelOutput, ProbabilitiesByNameThenLogitsThenMetadata) {
  const ModelOutput named = choose_model_output({"features", "probabilities"}, {});
  EXPECT_EQ(named.name, "probabilities");
  EXPECT_EQ(named.kind, OutputKind::Probabilities);
  EXPECT_EQ(choose_model_output({"logits"}, {}).kind, OutputKind::Logits);
  const ModelOutput declared = choose_model_output({"dense_3"}, {{"output", "logits"}});
  EXPECT_EQ(declared.name, "dense_3");
  EXPECT_EQ(declared.kind, OutputKind::Logits);
  EXPECT_THROW(choose_model_output({"dense_3"}, {}), InputError);
  EXPECT_THROW(choose_model_output({"dense_3"}, {{"output", "scores"}}), InputError);
  EXPECT_THROW(choose_model_output({}, {}), InputError);
}

TEST(ModelOutput, LogitsGetSoftmaxAndProbabilitiesAreChecked) {
  const std::vector<float> logits = {-2.3f, 1.1f};
  EXPECT_EQ(output_probabilities(logits, OutputKind::Logits, 2), softmax(logits));
  EXPECT_EQ(output_probabilities(std::vector<float>{0.25f, 0.75f}, OutputKind::Probabilities, 2),
            (std::vector<float>{0.25f, 0.75f}));
  // A negative number read as a probability gave "female 9.39%" once.
  EXPECT_THROW(output_probabilities(logits, OutputKind::Probabilities, 2), InputError);
  EXPECT_THROW(output_probabilities(std::vector<float>{0.5f, 0.6f}, OutputKind::Probabilities, 2),
               InputError);
  EXPECT_THROW(output_probabilities(std::vector<float>{0.2f, 0.3f, 0.5f}, OutputKind::Logits, 2),
               InputError);
  EXPECT_THROW(output_probabilities(std::vector<float>{NAN, 1.0f}, OutputKind::Logits, 2),
               InputError);
}

// Found by tests/fuzz (model_spec): the crop's sizes went through
// nlohmann-json's get<int>(), a static_cast, so "size":1e10 was undefined
// behaviour and "size":100.5 became 100. Integral floats still count.
TEST(ModelSpec, CropSizesMustBeIntegersThatFit) {
  auto spec_with_crop = [](const std::string& crop) {
    return parse_model_spec({{"class_names", R"(["male","female"])"},
                             {"crop", crop},
                             {"normalization", R"({"mean":0,"std":1})"}});
  };
  EXPECT_THROW(spec_with_crop(R"({"margin":0.2,"size":1e10,"input":80})"), InputError);
  EXPECT_THROW(spec_with_crop(R"({"margin":0.2,"size":100.5,"input":80})"), InputError);
  EXPECT_THROW(spec_with_crop(R"({"kind":"aligned","scale":4.2,"shift":0.2,"size":-1e300})"),
               InputError);
  EXPECT_EQ(spec_with_crop(R"({"margin":0.2,"size":100.0,"input":80})").crop.size, 100);
}

// Calibration: the temperature divides the logits before the softmax, and
// works the same on a model that outputs probabilities (through log p).
TEST(Temperature, DividesTheLogitsWhateverTheOutputHolds) {
  const std::vector<float> logits = {-1.5f, 2.5f};
  const float t = 2.0f;
  const std::vector<float> expected = softmax(std::vector<float>{-0.75f, 1.25f});
  const std::vector<float> from_logits = output_probabilities(logits, OutputKind::Logits, 2, t);
  const std::vector<float> from_probabilities =
      output_probabilities(softmax(logits), OutputKind::Probabilities, 2, t);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(from_logits[i], expected[i], 1e-6f);
    EXPECT_NEAR(from_probabilities[i], expected[i], 1e-6f);
  }
  // A larger temperature is less certain, never changes the winner.
  EXPECT_LT(from_logits[1], softmax(logits)[1]);
  EXPECT_GT(from_logits[1], 0.5f);
  EXPECT_EQ(apply_temperature(std::vector<float>{0.3f, 0.7f}, 1.0f),
            (std::vector<float>{0.3f, 0.7f}));
  // A probability that underflowed to 0 still gives a finite answer.
  const std::vector<float> saturated = apply_temperature(std::vector<float>{0.0f, 1.0f}, 3.0f);
  EXPECT_TRUE(std::isfinite(saturated[0]) && saturated[0] > 0.0f);
  for (const float bad : {0.0f, -1.0f, NAN, INFINITY})
    EXPECT_THROW(apply_temperature(std::vector<float>{0.5f, 0.5f}, bad), InputError) << bad;
}

TEST(ModelSpec, ReadsTheTemperatureAndRefusesABadOne) {
  auto spec_with = [](const std::string& temperature) {
    return parse_model_spec({{"class_names", R"(["male","female"])"},
                             {"crop", R"({"margin":0.2,"size":100,"input":80})"},
                             {"normalization", R"({"mean":0.5,"std":0.5})"},
                             {"temperature", temperature}});
  };
  EXPECT_FLOAT_EQ(spec_with("1.75").temperature, 1.75f);
  EXPECT_FLOAT_EQ(parse_model_spec({{"class_names", R"(["male","female"])"},
                                    {"crop", R"({"margin":0.2,"size":100,"input":80})"},
                                    {"normalization", R"({"mean":0.5,"std":0.5})"}})
                      .temperature,
                  1.0f);
  for (const char* bad : {"0", "-2", "\"warm\"", "1e9", "{"})
    EXPECT_THROW(spec_with(bad), InputError) << bad;
}

}  // namespace
}  // namespace facegender
