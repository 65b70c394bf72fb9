// InferenceNetwork::from_bytes on any bytes (the .fgnet files the browser
// fetches for BlazeFace), then a run of what it accepted and, when the input
// has a BlazeFace model's shape, the detector built on it. Contract: a
// network or InputError; an accepted network runs on an input of its
// input_shape and returns outputs of the header's shapes; BlazeFace and its
// detect fail only with InputError.
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "facegender/blazeface.hpp"
#include "facegender/network.hpp"
#include "fuzz_support.hpp"

using namespace facegender;

namespace {

constexpr std::int64_t kMaxElements = std::int64_t{1} << 22;  // floats over all tensors
constexpr std::int64_t kMaxWork = std::int64_t{1} << 24;      // multiply-adds, pool taps

std::int64_t elements(const nlohmann::json& shape) {
  std::int64_t n = 1;
  for (const auto& d : shape) {
    const auto v = d.get<std::int64_t>();
    if (v < 0 || v > kMaxElements) return -1;
    n *= v;
    if (n > kMaxElements) return -1;
  }
  return n;
}

// Whether running the accepted graph stays small: the header is read again
// here (the network does not expose it) only to budget the harness's time
// and memory, never to judge validity. Also the output shapes, to compare.
bool cheap_to_run(std::span<const std::uint8_t> bytes, std::vector<std::int64_t>& output_sizes) {
  try {
    std::uint32_t header_size = 0;
    std::memcpy(&header_size, bytes.data() + 8, 4);
    const auto header = nlohmann::json::parse(bytes.begin() + 12, bytes.begin() + 12 + header_size);
    const auto& tensors = header.at("tensors");
    std::int64_t total = 0;
    for (const auto& t : tensors) {
      const std::int64_t n = elements(t.at("shape"));
      if (n < 0 || (total += n) > kMaxElements) return false;
    }
    std::int64_t work = 0;
    for (const auto& op : header.at("ops")) {
      const std::int64_t out =
          elements(tensors.at(op.at("out").at(0).get<std::size_t>()).at("shape"));
      std::int64_t taps = 1;
      if (op.contains("filter")) {
        for (const auto& k : op.at("filter"))
          taps *= std::max<std::int64_t>(1, k.get<std::int64_t>());
      }
      if (taps > kMaxWork || (work += out * taps) > kMaxWork) return false;
    }
    for (const auto& o : header.at("outputs"))
      output_sizes.push_back(elements(tensors.at(o.get<std::size_t>()).at("shape")));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // "HEADER\0CONSTANTS" inputs get the magic and header size (fuzz::framed).
  const std::vector<std::uint8_t> file = fuzz::framed(data, size, std::string("FGNET1\0\0", 8), 4);
  const std::span<const std::uint8_t> bytes(file.data(), file.size());
  try {
    const InferenceNetwork network = InferenceNetwork::from_bytes(bytes, "fuzz.fgnet");
    std::vector<std::int64_t> output_sizes;
    fuzz::accepted("network");
    if (!cheap_to_run(bytes, output_sizes) || network.multiply_adds() > kMaxWork) return 0;
    std::int64_t n = 1;
    for (const int d : network.input_shape()) n *= d;
    std::vector<float> input(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < input.size(); ++i)
      input[i] = static_cast<float>(i % 17) / 8.0f - 1.0f;
    const std::vector<Tensor> outputs = network.run(input);
    fuzz::check(outputs.size() == output_sizes.size(), "run returned another number of outputs");
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      fuzz::check(static_cast<std::int64_t>(outputs[i].data.size()) == output_sizes[i],
                  "an output's size differs from its shape in the header");
    }
    // BlazeFace on it, when the input has one of the two models' shapes.
    for (const BlazeFaceModel model : {BlazeFaceModel::ShortRange, BlazeFaceModel::FullRange}) {
      try {
        const BlazeFace detector(network, model);
        fuzz::accepted("BlazeFace");
        Image frame(40, 30, PixelFormat::RGB8);
        for (std::size_t i = 0; i < frame.pixels().size(); ++i)
          frame.pixels()[i] = static_cast<std::uint8_t>(i * 31);
        (void)detector.detect(frame.view(), BlazeFaceParams{0.01f, 0.3f});
      } catch (const InputError& e) {
        fuzz::rejected(e);  // not this model's shapes
      }
    }
  } catch (const InputError& e) {
    fuzz::rejected(e);
  }
  return 0;
}
