// The LibTorch network built from an Architecture, layer for layer, with
// parameter names "<layer name>.<weight|bias|running_mean|running_var>".
#pragma once

#include <torch/torch.h>

#include "common/safetensors.hpp"
#include "model/architecture.hpp"

namespace facegender {

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(Architecture architecture);

  // [N,1,S,S] float -> [N,classes] logits.
  torch::Tensor forward(torch::Tensor input);
  // The class logits and, from the same features, the age-band logits
  // [N,age_bands]; throws std::logic_error when the architecture has no age head.
  std::pair<torch::Tensor, torch::Tensor> forward_with_age(torch::Tensor input);
  // The output of every Conv layer after its activation (ReLU), in order:
  // what the inspector shows.
  std::vector<torch::Tensor> feature_maps(torch::Tensor input);

  const Architecture& architecture() const { return architecture_; }

  // Initial weights: the seed's N(0, 0.01) / 0.1 for seed2017, Kaiming for compact.
  void initialize(std::uint64_t seed);

 private:
  torch::Tensor run(torch::Tensor x, std::vector<torch::Tensor>* maps,
                    torch::Tensor* last_input = nullptr);
  Architecture architecture_;
  std::vector<torch::nn::AnyModule> modules_;  // one per layer (empty for parameter-free layers)
  torch::nn::Linear age_head_{nullptr};
};
TORCH_MODULE(Network);

// A float tensor's values, copied to the CPU.
NamedTensor to_named_tensor(const torch::Tensor& tensor);

// All parameters and buffers (float only) as named tensors, on the CPU.
TensorFile weights_of(Network& network);
// Loads weights by name; throws std::runtime_error naming `source` and the
// first missing or mis-shaped tensor.
void load_weights(Network& network, const TensorFile& weights, const std::string& source);

// Number of trainable parameters.
std::int64_t parameter_count(Network& network);
// Number of trainable parameters the gender output uses: all but the
// auxiliary age head's, which training alone needs and export leaves out.
std::int64_t gender_parameter_count(Network& network);

}  // namespace facegender
