#include "train/distillation.hpp"

#include <stdexcept>

#include "train/checkpoint.hpp"

namespace facegender {

namespace {

using nlohmann::json;

// A teacher trained on other crops or classes would teach the wrong thing
// without any error: refuse it, naming what differs.
void require_same(const json& teacher, const json& student, const char* key,
                  const std::string& source) {
  const json a = teacher.value(key, json());
  const json b = student.value(key, json());
  if (a != b) {
    throw std::runtime_error(source + ": the teacher's " + key + " (" + a.dump() +
                             ") differs from the training data's (" + b.dump() + ")");
  }
}

}  // namespace

Teacher::Teacher(const std::string& checkpoint, const json& student_state, int input_size,
                 torch::Device device) {
  const Checkpoint c = read_checkpoint(checkpoint);
  for (const char* key : {"classes", "crop", "normalization"})
    require_same(c.state, student_state, key, checkpoint);
  if (c.architecture.input_size != input_size) {
    throw std::runtime_error(checkpoint + ": the teacher takes " +
                             std::to_string(c.architecture.input_size) + " px faces, the student " +
                             std::to_string(input_size));
  }
  network_ = Network(c.architecture);
  load_weights(network_, c.weights, checkpoint);
  network_->to(device);
  network_->eval();
}

torch::Tensor Teacher::logits(const torch::Tensor& images) {
  const torch::NoGradGuard no_grad;
  return network_->forward(images);
}

torch::Tensor distillation_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits, double temperature) {
  if (!(temperature > 0)) throw std::invalid_argument("distillation temperature must be positive");
  if (student_logits.sizes() != teacher_logits.sizes())
    throw std::invalid_argument("distillation: student and teacher logits differ in shape");
  namespace F = torch::nn::functional;
  const torch::Tensor student = F::log_softmax(student_logits / temperature, 1);
  const torch::Tensor teacher = F::softmax(teacher_logits / temperature, 1);
  return F::kl_div(student, teacher, F::KLDivFuncOptions().reduction(torch::kBatchMean)) *
         (temperature * temperature);
}

}  // namespace facegender
