// The small valid checkpoint the checkpoint target and the seed generator
// both write with write_checkpoint: the same contents give the same files,
// so the seed JSON names (and hashes) the weights the target puts beside it,
// whatever names write_checkpoint gives them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/architecture.hpp"
#include "train/checkpoint.hpp"

namespace fuzz {

inline facegender::Checkpoint small_checkpoint() {
  using namespace facegender;
  Checkpoint c;
  c.architecture.name = "fuzz";
  c.architecture.input_size = 8;
  c.architecture.classes = 2;
  c.architecture.layers = {{LayerOp::Conv, "conv1", 1, 2, 3, 1, {1, 1, 1, 1}, 0.0f},
                           {LayerOp::BatchNorm, "bn1", 2, 2},
                           {LayerOp::Relu, ""},
                           {LayerOp::MaxPool, "", 0, 0, 2, 2},
                           {LayerOp::GlobalAvgPool, ""},
                           {LayerOp::Flatten, ""},
                           {LayerOp::Dropout, "", 0, 0, 0, 1, {}, 0.25f},
                           {LayerOp::Linear, "fc", 2, 2}};
  auto tensor = [&](const std::string& name, std::vector<std::int64_t> shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    NamedTensor t{std::move(shape), std::vector<float>(static_cast<std::size_t>(n))};
    for (std::size_t i = 0; i < t.values.size(); ++i) t.values[i] = 0.125f * static_cast<float>(i);
    c.weights.tensors[name] = std::move(t);
  };
  tensor("conv1.weight", {2, 1, 3, 3});
  tensor("conv1.bias", {2});
  for (const char* part : {"weight", "bias", "running_mean", "running_var"})
    tensor(std::string("bn1.") + part, {2});
  tensor("fc.weight", {2, 2});
  tensor("fc.bias", {2});
  tensor("optimizer.fc.bias.exp_avg", {2});
  c.weights.metadata = {{"format", "pt"}};
  c.state = {{"classes", {"female", "male"}},
             {"step", 120},
             {"epoch", 3},
             {"config", {{"lr", 0.001}, {"batch", 4}, {"augment", true}}},
             {"rng", "12345 67890"},
             {"metrics", {{"val_accuracy", 0.75}, {"train_loss", 0.5}}}};
  return c;
}

}  // namespace fuzz
