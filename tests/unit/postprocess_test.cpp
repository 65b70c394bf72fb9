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

}  // namespace
}  // namespace facegender
