#include "model/network.hpp"

#include <stdexcept>

namespace facegender {
namespace {

bool symmetric(const std::array<int, 4>& pad) {
  return pad[0] == pad[2] && pad[1] == pad[3];
}

}  // namespace

NetworkImpl::NetworkImpl(Architecture architecture) : architecture_(std::move(architecture)) {
  for (const Layer& layer : architecture_.layers) {
    switch (layer.op) {
      case LayerOp::Conv: {
        auto options =
            torch::nn::Conv2dOptions(layer.in, layer.out, layer.kernel).stride(layer.stride);
        // Symmetric padding goes to the convolution; asymmetric ("same" with
        // an even kernel) is applied explicitly in run().
        if (symmetric(layer.pad)) options.padding(torch::IntArrayRef{layer.pad[0], layer.pad[1]});
        modules_.emplace_back(register_module(layer.name, torch::nn::Conv2d(options)));
        break;
      }
      case LayerOp::BatchNorm:
        modules_.emplace_back(register_module(layer.name, torch::nn::BatchNorm2d(layer.out)));
        break;
      case LayerOp::Linear:
        modules_.emplace_back(register_module(layer.name, torch::nn::Linear(layer.in, layer.out)));
        break;
      default:
        modules_.emplace_back();
        break;
    }
  }
  if (architecture_.age_bands > 0) {
    const Layer& last = architecture_.layers.back();
    if (last.op != LayerOp::Linear)
      throw std::invalid_argument("network: an age head needs a linear last layer");
    age_head_ = register_module("age_head", torch::nn::Linear(last.in, architecture_.age_bands));
  }
}

torch::Tensor NetworkImpl::forward(torch::Tensor input) {
  return run(std::move(input), nullptr);
}

std::pair<torch::Tensor, torch::Tensor> NetworkImpl::forward_with_age(torch::Tensor input) {
  if (!age_head_) throw std::logic_error("network: " + architecture_.name + " has no age head");
  torch::Tensor features;
  torch::Tensor logits = run(std::move(input), nullptr, &features);
  return {logits, age_head_->forward(features)};
}

std::vector<torch::Tensor> NetworkImpl::feature_maps(torch::Tensor input) {
  std::vector<torch::Tensor> maps;
  run(std::move(input), &maps);
  return maps;
}

torch::Tensor NetworkImpl::run(torch::Tensor x, std::vector<torch::Tensor>* maps,
                               torch::Tensor* last_input) {
  bool after_conv = false;
  for (std::size_t i = 0; i < architecture_.layers.size(); ++i) {
    const Layer& layer = architecture_.layers[i];
    if (last_input != nullptr && i + 1 == architecture_.layers.size()) *last_input = x;
    switch (layer.op) {
      case LayerOp::Conv:
        if (!symmetric(layer.pad)) {
          x = torch::constant_pad_nd(x, {layer.pad[1], layer.pad[3], layer.pad[0], layer.pad[2]},
                                     0.0);
        }
        x = modules_[i].forward(x);
        after_conv = true;
        break;
      case LayerOp::BatchNorm:
      case LayerOp::Linear:
        x = modules_[i].forward(x);
        break;
      case LayerOp::Relu:
        x = torch::relu(x);
        if (maps != nullptr && after_conv) maps->push_back(x);
        after_conv = false;
        break;
      case LayerOp::MaxPool:
        x = torch::max_pool2d(x, layer.kernel, layer.stride);
        break;
      case LayerOp::AvgPool:
        x = torch::avg_pool2d(x, layer.kernel, layer.stride);
        break;
      case LayerOp::GlobalAvgPool:
        x = torch::adaptive_avg_pool2d(x, {1, 1});
        break;
      case LayerOp::Flatten:
        x = x.flatten(1);
        break;
      case LayerOp::Dropout:
        x = torch::dropout(x, layer.p, is_training());
        break;
    }
  }
  return x;
}

void NetworkImpl::initialize(std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  const bool seed_recipe = architecture_.name == "seed2017";
  for (std::size_t i = 0; i < architecture_.layers.size(); ++i) {
    const Layer& layer = architecture_.layers[i];
    if (layer.op != LayerOp::Conv && layer.op != LayerOp::Linear && layer.op != LayerOp::BatchNorm)
      continue;
    torch::Tensor weight = modules_[i].ptr()->named_parameters(false)["weight"];
    torch::Tensor bias = modules_[i].ptr()->named_parameters(false)["bias"];
    if (layer.op == LayerOp::BatchNorm) {
      weight.fill_(1.0);
      bias.zero_();
    } else if (seed_recipe) {
      // The seed: truncated-free N(0, 0.01) weights and 0.1 biases.
      weight.normal_(0.0, 0.01);
      bias.fill_(0.1);
    } else if (layer.op == LayerOp::Conv) {
      torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
      bias.zero_();
    } else {
      weight.normal_(0.0, 0.01);
      bias.zero_();
    }
  }
  if (age_head_) {
    age_head_->weight.normal_(0.0, 0.01);
    age_head_->bias.zero_();
  }
}

NamedTensor to_named_tensor(const torch::Tensor& tensor) {
  const torch::Tensor cpu = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  NamedTensor named;
  named.shape.assign(cpu.sizes().begin(), cpu.sizes().end());
  named.values.assign(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
  return named;
}

TensorFile weights_of(Network& network) {
  TensorFile file;
  auto add = [&file](const std::string& name, const torch::Tensor& t) {
    if (t.scalar_type() != torch::kFloat32) return;  // e.g. BatchNorm's step counter
    file.tensors.emplace(name, to_named_tensor(t));
  };
  for (const auto& p : network->named_parameters()) add(p.key(), p.value());
  for (const auto& b : network->named_buffers()) add(b.key(), b.value());
  return file;
}

void load_weights(Network& network, const TensorFile& weights, const std::string& source) {
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor target) {
    if (target.scalar_type() != torch::kFloat32) return;
    const auto found = weights.tensors.find(name);
    if (found == weights.tensors.end())
      throw std::runtime_error(source + ": weight " + name + " is missing");
    const NamedTensor& t = found->second;
    if (std::vector<std::int64_t>(target.sizes().begin(), target.sizes().end()) != t.shape) {
      throw std::runtime_error(source + ": weight " + name +
                               " has the wrong shape for architecture " +
                               network->architecture().name);
    }
    const torch::Tensor values =
        torch::from_blob(const_cast<float*>(t.values.data()), target.sizes(), torch::kFloat32);
    target.copy_(values.to(target.device()));
  };
  for (const auto& p : network->named_parameters()) load(p.key(), p.value());
  for (const auto& b : network->named_buffers()) load(b.key(), b.value());
}

std::int64_t parameter_count(Network& network) {
  std::int64_t count = 0;
  for (const auto& p : network->parameters()) count += p.numel();
  return count;
}

std::int64_t gender_parameter_count(Network& network) {
  std::int64_t count = 0;
  for (const auto& p : network->named_parameters()) {
    if (!p.key().starts_with("age_head.")) count += p.value().numel();
  }
  return count;
}

}  // namespace facegender
