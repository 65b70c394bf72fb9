#include "model/architecture.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>

namespace facegender {
namespace {

Layer conv(const std::string& name, int in, int out, int kernel, std::array<int, 4> pad) {
  return {LayerOp::Conv, name, in, out, kernel, 1, pad, 0.0f};
}
Layer same_conv(const std::string& name, int in, int out, int kernel) {
  // "same" padding; an even kernel pads one more after than before, as
  // TensorFlow (the seed's framework) does.
  const int before = (kernel - 1) / 2;
  const int after = kernel - 1 - before;
  return conv(name, in, out, kernel, {before, before, after, after});
}
Layer batch_norm(const std::string& name, int channels) {
  return {LayerOp::BatchNorm, name, channels, channels};
}
Layer relu() {
  return {LayerOp::Relu, ""};
}
Layer max_pool() {
  return {LayerOp::MaxPool, "", 0, 0, 2, 2};
}
Layer avg_pool() {
  return {LayerOp::AvgPool, "", 0, 0, 2, 2};
}
Layer linear(const std::string& name, int in, int out) {
  return {LayerOp::Linear, name, in, out};
}
Layer dropout(float p) {
  return {LayerOp::Dropout, "", 0, 0, 0, 1, {}, p};
}

// The seed's first network (2017), layer for layer: keep-probability 0.7
// dropout is p = 0.3 here.
Architecture seed2017(int classes) {
  Architecture a{"seed2017", 80, classes, {}};
  a.layers = {same_conv("conv1", 1, 3, 8),
              relu(),
              avg_pool(),
              same_conv("conv2", 3, 64, 5),
              relu(),
              max_pool(),
              same_conv("conv3", 64, 128, 3),
              relu(),
              max_pool(),
              {LayerOp::Flatten, ""},
              linear("fc1", 128 * 10 * 10, 1024),
              relu(),
              dropout(0.3f),
              linear("fc2", 1024, 512),
              relu(),
              dropout(0.3f),
              linear("fc3", 512, 128),
              relu(),
              dropout(0.3f),
              linear("fc4", 128, classes)};
  return a;
}

// Accuracy per byte: VGG-style 3x3 blocks with batch norm and global average
// pooling instead of the seed's 13M-weight dense layers. `width` is the first
// block's channels (16 for compact, ~150k weights); each block doubles it.
Architecture compact(const std::string& name, int width, int classes) {
  Architecture a{name, 80, classes, {}};
  int in = 1;
  int index = 1;
  for (int block = 0; block < 3; ++block) {
    const int out = width << block;
    for (int repeat = 0; repeat < 2; ++repeat, ++index) {
      a.layers.push_back(same_conv("conv" + std::to_string(index), in, out, 3));
      a.layers.push_back(batch_norm("bn" + std::to_string(index), out));
      a.layers.push_back(relu());
      in = out;
    }
    a.layers.push_back(max_pool());
  }
  const int features = width * 8;
  a.layers.push_back(same_conv("conv7", in, features, 3));
  a.layers.push_back(batch_norm("bn7", features));
  a.layers.push_back(relu());
  a.layers.push_back(max_pool());
  a.layers.push_back({LayerOp::GlobalAvgPool, ""});
  a.layers.push_back({LayerOp::Flatten, ""});
  a.layers.push_back(dropout(0.2f));
  a.layers.push_back(linear("fc", features, classes));
  return a;
}

// The compact family by name: the first block's width.
constexpr std::pair<const char*, int> kCompactWidths[] = {
    {"compact", 16}, {"compact-small", 8}, {"compact-wide", 24}};

constexpr const char* kOpNames[] = {"conv",          "batchnorm", "relu",   "maxpool", "avgpool",
                                    "globalavgpool", "flatten",   "linear", "dropout"};

LayerOp op_from_string(const std::string& text) {
  for (std::size_t i = 0; i < std::size(kOpNames); ++i) {
    if (text == kOpNames[i]) return static_cast<LayerOp>(i);
  }
  throw std::runtime_error("architecture: unknown layer op \"" + text + "\"");
}

}  // namespace

const char* to_string(LayerOp op) {
  return kOpNames[static_cast<int>(op)];
}

std::vector<std::string> architecture_names() {
  std::vector<std::string> names;
  for (const auto& [name, width] : kCompactWidths) names.emplace_back(name);
  names.emplace_back("seed2017");
  return names;
}

Architecture make_architecture(const std::string& name, int classes) {
  if (classes < 2)
    throw std::invalid_argument("architecture: need at least 2 classes, got " +
                                std::to_string(classes));
  if (name == "seed2017") return seed2017(classes);
  for (const auto& [compact_name, width] : kCompactWidths) {
    if (name == compact_name) return compact(name, width, classes);
  }
  std::string known;
  for (const std::string& n : architecture_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("architecture: unknown name \"" + name + "\" (known: " + known + ")");
}

nlohmann::json to_json(const Architecture& arch) {
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer& l : arch.layers) {
    layers.push_back({{"op", to_string(l.op)},
                      {"name", l.name},
                      {"in", l.in},
                      {"out", l.out},
                      {"kernel", l.kernel},
                      {"stride", l.stride},
                      {"pad", l.pad},
                      {"p", l.p}});
  }
  nlohmann::json j = {{"name", arch.name},
                      {"input_size", arch.input_size},
                      {"classes", arch.classes},
                      {"layers", layers}};
  if (arch.age_bands > 0) j["age_bands"] = arch.age_bands;
  return j;
}

namespace {

// get<int>() of a float such as 1e10 is undefined behaviour inside
// nlohmann-json (found by the checkpoint fuzz target): only ints pass.
int int_at(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < INT32_MIN ||
      v.get<std::int64_t>() > INT32_MAX ||
      (v.is_number_unsigned() && v.get<std::uint64_t>() > INT32_MAX)) {
    throw std::runtime_error(std::string("architecture: \"") + key +
                             "\" is not an int: " + v.dump());
  }
  return static_cast<int>(v.get<std::int64_t>());
}

std::array<int, 4> pad_at(const nlohmann::json& l) {
  const nlohmann::json& pad = l.at("pad");
  if (!pad.is_array() || pad.size() != 4)
    throw std::runtime_error("architecture: \"pad\" is not 4 ints");
  std::array<int, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = int_at(nlohmann::json{{"pad", pad[i]}}, "pad");
  return out;
}

}  // namespace

Architecture architecture_from_json(const nlohmann::json& j) {
  try {
    Architecture arch;
    arch.name = j.at("name").get<std::string>();
    arch.input_size = int_at(j, "input_size");
    arch.classes = int_at(j, "classes");
    arch.age_bands = j.contains("age_bands") ? int_at(j, "age_bands") : 0;
    for (const auto& l : j.at("layers")) {
      arch.layers.push_back({op_from_string(l.at("op").get<std::string>()),
                             l.at("name").get<std::string>(), int_at(l, "in"), int_at(l, "out"),
                             int_at(l, "kernel"), int_at(l, "stride"), pad_at(l),
                             l.at("p").get<float>()});
    }
    return arch;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("architecture: malformed JSON: ") + e.what());
  }
}

}  // namespace facegender
