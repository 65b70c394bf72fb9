#include "model/architecture.hpp"

#include <gtest/gtest.h>

#include <map>

#include "model/network.hpp"

namespace facegender {
namespace {

TEST(Architecture, SeedIsTheBlogPostsNetwork) {
  const Architecture a = make_architecture("seed2017", 2);
  Network net(a);
  net->initialize(1);
  // conv 8x8x3 + conv 5x5x64 + conv 3x3x128 + FC 12800-1024-512-128-2
  const std::int64_t expected = (8 * 8 * 1 * 3 + 3) + (5 * 5 * 3 * 64 + 64) +
                                (3 * 3 * 64 * 128 + 128) + (12800 * 1024 + 1024) +
                                (1024 * 512 + 512) + (512 * 128 + 128) + (128 * 2 + 2);
  EXPECT_EQ(parameter_count(net), expected);
  const torch::Tensor x = torch::rand({3, 1, 80, 80});
  EXPECT_EQ(net->forward(x).sizes(), (std::vector<std::int64_t>{3, 2}));
  const auto maps = net->feature_maps(x);
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0].sizes(),
            (std::vector<std::int64_t>{3, 3, 80, 80}));  // 'same' with an 8x8 kernel
  EXPECT_EQ(maps[2].sizes(), (std::vector<std::int64_t>{3, 128, 20, 20}));
  // The seed's initialisation: biases 0.1, weights ~ N(0, 0.01).
  const TensorFile w = weights_of(net);
  EXPECT_FLOAT_EQ(w.tensors.at("fc1.bias").values[7], 0.1f);
  EXPECT_NEAR(torch::tensor(w.tensors.at("fc1.weight").values).std().item<double>(), 0.01, 0.0005);
}

TEST(Architecture, CompactIsSmallAndClassCountFollowsTheData) {
  Network net(make_architecture("compact", 3));
  EXPECT_LT(parameter_count(net) * 4, 1024 * 1024);  // under 1 MB of float32 weights
  EXPECT_EQ(net->forward(torch::rand({2, 1, 80, 80})).size(1), 3);
  EXPECT_EQ(net->feature_maps(torch::rand({1, 1, 80, 80})).size(), 7u);
  EXPECT_THROW(make_architecture("compact", 1), std::invalid_argument);
  EXPECT_THROW(make_architecture("resnet", 2), std::invalid_argument);
}

// The compact family differs only in width: the same layers, each block's
// channels in proportion, so export and the core handle every member.
TEST(Architecture, CompactFamilyScalesTheWidthOnly) {
  const Architecture base = make_architecture("compact", 2);
  std::map<std::string, double> weights;
  for (const std::string name : {"compact-small", "compact", "compact-wide"}) {
    const Architecture a = make_architecture(name, 2);
    EXPECT_EQ(a.name, name);
    ASSERT_EQ(a.layers.size(), base.layers.size()) << name;
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
      EXPECT_EQ(a.layers[i].op, base.layers[i].op) << name << " layer " << i;
      EXPECT_EQ(a.layers[i].name, base.layers[i].name) << name << " layer " << i;
    }
    Network net(a);
    weights[name] = static_cast<double>(parameter_count(net));
    EXPECT_LT(weights[name] * 4, 2 * 1024 * 1024) << name;  // the model issue's 2 MB
    EXPECT_EQ(net->forward(torch::rand({2, 1, 80, 80})).sizes(), (std::vector<std::int64_t>{2, 2}));
  }
  // The weights grow with about the square of the width (8, 16, 24 channels first).
  EXPECT_NEAR(weights["compact-small"] / weights["compact"], 0.25, 0.02);
  EXPECT_NEAR(weights["compact-wide"] / weights["compact"], 2.25, 0.05);
  EXPECT_EQ(make_architecture("compact-wide", 2).layers.back().in, 192);
}

TEST(Architecture, JsonRoundTrip) {
  for (const std::string& name : architecture_names()) {
    const Architecture a = make_architecture(name, 2);
    const Architecture b = architecture_from_json(to_json(a));
    EXPECT_EQ(to_json(a), to_json(b));
  }
  EXPECT_THROW(architecture_from_json(nlohmann::json{{"name", "x"}}), std::runtime_error);
  // Floats where ints belong were undefined behaviour (found by fuzzing checkpoints).
  for (const char* key : {"input_size", "classes"}) {
    nlohmann::json bad = to_json(make_architecture("compact", 2));
    bad[key] = 1e10;
    EXPECT_THROW(architecture_from_json(bad), std::runtime_error) << key;
  }
  nlohmann::json bad_layer = to_json(make_architecture("compact", 2));
  bad_layer["layers"][0]["pad"] = {0, 0, 1.5e20, 0};
  EXPECT_THROW(architecture_from_json(bad_layer), std::runtime_error);
}

TEST(Architecture, AgeHeadReadsTheClassifiersFeaturesAndSurvivesJson) {
  Architecture a = make_architecture("compact", 2);
  Network plain(a);
  EXPECT_THROW(plain->forward_with_age(torch::rand({1, 1, 80, 80})), std::logic_error);
  a.age_bands = 6;
  EXPECT_EQ(architecture_from_json(to_json(a)).age_bands, 6);
  EXPECT_EQ(architecture_from_json(to_json(make_architecture("compact", 2))).age_bands, 0);
  Network net(a);
  net->initialize(3);
  net->eval();
  const torch::Tensor x = torch::rand({4, 1, 80, 80});
  const auto [logits, ages] = net->forward_with_age(x);
  EXPECT_EQ(ages.sizes(), (std::vector<std::int64_t>{4, 6}));
  EXPECT_TRUE(torch::equal(logits, net->forward(x)));
  const TensorFile w = weights_of(net);
  EXPECT_EQ(w.tensors.at("age_head.weight").shape, (std::vector<std::int64_t>{6, 128}));
  EXPECT_EQ(parameter_count(net), parameter_count(plain) + 6 * 128 + 6);
  EXPECT_EQ(gender_parameter_count(net), parameter_count(plain));  // what export reports
}

TEST(Network, WeightsRoundTripGiveTheSameOutputs) {
  Network a(make_architecture("compact", 2));
  a->initialize(7);
  a->eval();
  Network b(make_architecture("compact", 2));
  b->initialize(8);
  b->eval();
  const torch::Tensor x = torch::rand({4, 1, 80, 80});
  EXPECT_FALSE(torch::equal(a->forward(x), b->forward(x)));
  load_weights(b, weights_of(a), "a");
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
  TensorFile missing = weights_of(a);
  missing.tensors.erase("conv3.weight");
  try {
    load_weights(b, missing, "model.safetensors");
    FAIL() << "a missing weight was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("conv3.weight"), std::string::npos);
  }
}

}  // namespace
}  // namespace facegender
