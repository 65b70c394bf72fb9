// Network architectures as plain data: a sequence of layers with names. The
// LibTorch network (network.hpp) is built from it, and the ONNX exporter
// writes it out, so training and export cannot disagree. Torch-free.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace facegender {

enum class LayerOp {
  Conv,       // weights "<name>.weight" [out,in,k,k], "<name>.bias" [out]
  BatchNorm,  // "<name>.weight", ".bias", ".running_mean", ".running_var" [channels]; eps 1e-5
  Relu,
  MaxPool,  // kernel, stride
  AvgPool,  // kernel, stride (no padding)
  GlobalAvgPool,
  Flatten,
  Linear,   // "<name>.weight" [out,in], "<name>.bias" [out]
  Dropout,  // drop probability `p` (training only)
};

struct Layer {
  LayerOp op;
  std::string name;  // parameter prefix; empty for parameter-free layers
  int in = 0;        // channels / features in
  int out = 0;       // channels / features out
  int kernel = 0;
  int stride = 1;
  std::array<int, 4> pad{};  // top, left, bottom, right (explicit, may be asymmetric)
  float p = 0.0f;            // dropout probability
};

struct Architecture {
  std::string name;     // one of architecture_names()
  int input_size = 80;  // square, 1 channel
  int classes = 2;
  std::vector<Layer> layers;  // logits come out of the last layer; softmax is added by export/eval
  // > 0: an auxiliary head, a linear layer "age_head" beside the last one
  // (reading the same features), predicting this many age bands; trained
  // with the classes, not exported.
  int age_bands = 0;
};

// Throws std::invalid_argument for an unknown name or classes < 2.
Architecture make_architecture(const std::string& name, int classes);
// compact (the default, ~150k weights), compact-small (half its width, for
// speed), compact-wide (1.5x its width), seed2017 (the blog post's network).
std::vector<std::string> architecture_names();

nlohmann::json to_json(const Architecture& arch);
Architecture architecture_from_json(const nlohmann::json& j);  // throws std::runtime_error

const char* to_string(LayerOp op);

}  // namespace facegender
