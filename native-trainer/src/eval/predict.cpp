#include "eval/predict.hpp"

#include <cmath>

#include "train/augment.hpp"

namespace facegender {

torch::Tensor center_batch(const dataset::PackedDataset& data,
                           const std::vector<std::size_t>& indices, int input,
                           const Normalization& norm, bool mirror) {
  const auto n = static_cast<std::int64_t>(indices.size());
  torch::Tensor batch = torch::empty({n, 1, input, input}, torch::kFloat32);
  const auto plane = static_cast<std::size_t>(input) * static_cast<std::size_t>(input);
  float* out = batch.data_ptr<float>();
  Augmentation centre = identity_augmentation(data.image_size, input);
  centre.flip = mirror;
  for (std::size_t i = 0; i < indices.size(); ++i) {
    augment(data.face(indices[i]), data.image_size, input, centre, norm,
            std::span<float>(out + i * plane, plane));
  }
  return batch;
}

torch::Tensor predict_probabilities(Network& network, const dataset::PackedDataset& data,
                                    const std::vector<std::size_t>& indices,
                                    const Normalization& norm, torch::Device device, int batch,
                                    bool average_flip) {
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
    torch::Tensor p = torch::softmax(network->forward(x), 1);
    if (average_flip) {
      const torch::Tensor mirrored = center_batch(data, chunk, input, norm, true).to(device);
      p = 0.5 * (p + torch::softmax(network->forward(mirrored), 1));
    }
    parts.push_back(p.to(torch::kCPU));
  }
  network->train(was_training);
  if (parts.empty()) return torch::empty({0, network->architecture().classes});
  return torch::cat(parts);
}

ScoringModel load_scoring_model(const std::string& checkpoint, torch::Device device) {
  ScoringModel model{read_checkpoint(checkpoint), nullptr, {}, checkpoint};
  model.network = Network(model.checkpoint.architecture);
  load_weights(model.network, model.checkpoint.weights, checkpoint);
  model.network->to(device);
  const nlohmann::json norm =
      model.checkpoint.state.value("normalization", nlohmann::json{{"mean", 0.0}, {"std", 1.0}});
  model.normalization = {norm["mean"].get<float>(), norm["std"].get<float>()};
  return model;
}

Scores score_faces(ScoringModel& model, const dataset::PackedDataset& data,
                   const std::vector<std::size_t>& rows, torch::Device device, bool average_flip) {
  const std::vector<std::string> classes = model.checkpoint.state.value("classes", data.classes);
  if (classes != data.classes) {
    throw std::runtime_error(model.source + ": the model's classes " +
                             nlohmann::json(classes).dump() + " differ from the dataset's " +
                             nlohmann::json(data.classes).dump());
  }
  Scores s;
  s.classes = model.checkpoint.architecture.classes;
  const torch::Tensor probs = predict_probabilities(model.network, data, rows, model.normalization,
                                                    device, 256, average_flip)
                                  .contiguous();
  s.probabilities.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
  const auto broken = std::count_if(s.probabilities.begin(), s.probabilities.end(),
                                    [](float p) { return !std::isfinite(p); });
  if (broken > 0) {
    throw std::runtime_error(model.source + ": the model gives NaN or infinite probabilities (" +
                             std::to_string(broken) + " values): its weights are broken");
  }
  for (std::size_t i : rows) s.labels.push_back(data.records[i].label);
  return s;
}

}  // namespace facegender
