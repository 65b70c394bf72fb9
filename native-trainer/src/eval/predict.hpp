// Running a network over stored faces (centre crop, as the browser sees them).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "dataset/packed_dataset.hpp"
#include "eval/metrics.hpp"
#include "facegender/preprocess.hpp"
#include "model/network.hpp"
#include "train/checkpoint.hpp"

namespace facegender {

// [N,1,input,input] float tensor of the centre crops of `indices`, mirrored
// left to right when `mirror`.
torch::Tensor center_batch(const dataset::PackedDataset& data,
                           const std::vector<std::size_t>& indices, int input,
                           const Normalization& norm, bool mirror = false);

// Softmax probabilities [indices.size(), classes] on the CPU, in eval mode,
// `batch` faces at a time on `device`. With `average_flip`, the mean of the
// face's and its mirror image's probabilities.
torch::Tensor predict_probabilities(Network& network, const dataset::PackedDataset& data,
                                    const std::vector<std::size_t>& indices,
                                    const Normalization& norm, torch::Device device,
                                    int batch = 256, bool average_flip = false);

// A checkpoint ready to score faces: its weights in a network on `device`.
struct ScoringModel {
  Checkpoint checkpoint;
  Network network{nullptr};
  Normalization normalization;
  std::string source;
};

// Throws std::runtime_error naming the checkpoint when it cannot be read.
ScoringModel load_scoring_model(const std::string& checkpoint, torch::Device device);

// Scores (probabilities and labels) of `rows` of `data`. Throws
// std::runtime_error naming the checkpoint when the dataset's classes differ
// from the model's or a probability is not finite.
Scores score_faces(ScoringModel& model, const dataset::PackedDataset& data,
                   const std::vector<std::size_t>& rows, torch::Device device,
                   bool average_flip = false);

}  // namespace facegender
