// Training throughput of the networks in LibTorch (C++), on synthetic data
// already in memory: forward + backward + Adam at a fixed batch.
//
//   bench_train --arch compact --batch 64 --steps 30 --threads 2
//   bench_train --arch compact --print-architecture   (JSON for bench_train.py)
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "model/network.hpp"

int main(int argc, char** argv) {
  CLI::App app{"LibTorch training throughput of a facegender network"};
  std::string arch = "compact";
  int batch = 64, steps = 30, warmup = 3, threads = 2;
  std::string device_name = "cpu";
  bool print_architecture = false;
  app.add_option("--arch", arch)->check(CLI::IsMember(facegender::architecture_names()));
  app.add_option("--batch", batch);
  app.add_option("--steps", steps);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads);
  app.add_option("--device", device_name)->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--print-architecture", print_architecture);
  CLI11_PARSE(app, argc, argv);

  const facegender::Architecture architecture = facegender::make_architecture(arch, 2);
  if (print_architecture) {
    std::cout << facegender::to_json(architecture).dump() << "\n";
    return 0;
  }
  torch::set_num_threads(threads);
  const torch::Device device(device_name == "cuda" ? torch::kCUDA : torch::kCPU);
  facegender::Network network(architecture);
  network->initialize(1);
  network->to(device);
  network->train();
  torch::optim::Adam optimizer(network->parameters(), torch::optim::AdamOptions(1e-3));
  torch::manual_seed(1);
  const torch::Tensor x =
      torch::rand({batch, 1, architecture.input_size, architecture.input_size}).to(device);
  const torch::Tensor y = torch::randint(0, 2, {batch}, torch::kInt64).to(device);
  auto step = [&] {
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(network->forward(x), y).backward();
    optimizer.step();
  };
  for (int i = 0; i < warmup; ++i) step();
  if (device.is_cuda()) torch::cuda::synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  if (device.is_cuda()) torch::cuda::synchronize();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << nlohmann::json{{"framework", "libtorch-cpp " TORCH_VERSION},
                              {"arch", arch},
                              {"batch", batch},
                              {"threads", threads},
                              {"device", device_name},
                              {"steps", steps},
                              {"seconds_per_step", seconds / steps},
                              {"samples_per_s", batch * steps / seconds},
                              {"parameters", facegender::parameter_count(network)}}
                   .dump()
            << "\n";
  return 0;
}
