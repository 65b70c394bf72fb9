#include "eval/predict.hpp"

#include "train/augment.hpp"

namespace facegender {

torch::Tensor center_batch(const dataset::PackedDataset& data,
                           const std::vector<std::size_t>& indices, int input,
                           const Normalization& norm) {
  const auto n = static_cast<std::int64_t>(indices.size());
  torch::Tensor batch = torch::empty({n, 1, input, input}, torch::kFloat32);
  const auto plane = static_cast<std::size_t>(input) * static_cast<std::size_t>(input);
  float* out = batch.data_ptr<float>();
  const Augmentation centre = identity_augmentation(data.image_size, input);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    augment(data.face(indices[i]), data.image_size, input, centre, norm,
            std::span<float>(out + i * plane, plane));
  }
  return batch;
}

torch::Tensor predict_probabilities(Network& network, const dataset::PackedDataset& data,
                                    const std::vector<std::size_t>& indices,
                                    const Normalization& norm, torch::Device device, int batch) {
  torch::NoGradGuard no_grad;
  const bool was_training = network->is_training();
  network->eval();
  const int input = network->architecture().input_size;
  std::vector<torch::Tensor> parts;
  for (std::size_t start = 0; start < indices.size(); start += static_cast<std::size_t>(batch)) {
    const std::size_t end = std::min(indices.size(), start + static_cast<std::size_t>(batch));
    const std::vector<std::size_t> chunk(indices.begin() + static_cast<long>(start),
                                         indices.begin() + static_cast<long>(end));
    const torch::Tensor x = center_batch(data, chunk, input, norm).to(device);
    parts.push_back(torch::softmax(network->forward(x), 1).to(torch::kCPU));
  }
  network->train(was_training);
  if (parts.empty()) return torch::empty({0, network->architecture().classes});
  return torch::cat(parts);
}

}  // namespace facegender
