// Distillation: a trained network (the teacher) whose softened outputs a
// student learns beside the labels, so that a smaller, faster network can
// take over what a larger one learned.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "model/network.hpp"

namespace facegender {

class Teacher {
 public:
  // Loads a checkpoint (run folder, .json or .safetensors) onto `device`;
  // throws std::runtime_error naming it when it cannot be read, or when its
  // classes, crop, input size or normalisation differ from what the
  // student's run records in `student_state` (base_state's keys).
  Teacher(const std::string& checkpoint, const nlohmann::json& student_state, int input_size,
          torch::Device device);

  // The teacher's class logits for a batch, without gradients.
  torch::Tensor logits(const torch::Tensor& images);

 private:
  Network network_{nullptr};
};

// The soft-target term: KL(softmax(teacher / T) || softmax(student / T)),
// averaged over the batch and scaled by T^2 so that its gradients keep their
// size as T changes. Throws std::invalid_argument when T <= 0 or the shapes
// differ.
torch::Tensor distillation_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits, double temperature);

}  // namespace facegender
