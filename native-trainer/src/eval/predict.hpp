// Running a network over stored faces (centre crop, as the browser sees them).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "dataset/packed_dataset.hpp"
#include "facegender/preprocess.hpp"
#include "model/network.hpp"

namespace facegender {

// [N,1,input,input] float tensor of the centre crops of `indices`.
torch::Tensor center_batch(const dataset::PackedDataset& data,
                           const std::vector<std::size_t>& indices, int input,
                           const Normalization& norm);

// Softmax probabilities [indices.size(), classes] on the CPU, in eval mode,
// `batch` faces at a time on `device`.
torch::Tensor predict_probabilities(Network& network, const dataset::PackedDataset& data,
                                    const std::vector<std::size_t>& indices,
                                    const Normalization& norm, torch::Device device,
                                    int batch = 256);

}  // namespace facegender
