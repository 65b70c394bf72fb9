#include "facegender/network.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "facegender/image.hpp"
#include "half_float.hpp"
#include "network_ops.hpp"

namespace facegender {
namespace {

using json = nlohmann::json;
using detail::Activation;
using detail::Extent;
using detail::Window;

constexpr std::string_view kMagic{"FGNET1\0\0", 8};

enum class OpKind { Conv, Depthwise, MaxPool, Add, Relu, Pad, Reshape, Concat, Resize };

struct Op {
  OpKind kind;
  std::vector<int> inputs;  // activation tensors only
  int output = -1;
  Window window;
  Activation activation = Activation::None;
  std::vector<float> weights;  // repacked for the kernel
  std::vector<float> bias;
  int pad_before[3] = {0, 0, 0};
  int axis = 0;
  bool align_corners = false;
  bool half_pixel_centers = false;
};

}  // namespace

struct InferenceNetworkData {
  std::string source;
  std::vector<std::vector<int>> shapes;  // of every tensor
  std::vector<Op> ops;
  int input = -1;
  std::vector<int> outputs;
  std::vector<std::vector<int>> dies_after;  // per op: tensors no later op reads
  std::int64_t multiply_adds = 0;
};

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw InputError(source + ": " + message);
}

std::size_t element_count(const std::vector<int>& shape) {
  std::size_t n = 1;
  for (int d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

// The header holds sizes, indices and offsets, never a fraction; a float
// there would reach nlohmann-json's get<int>(), a static_cast (undefined
// behaviour beyond int's range).
void require_integers(const json& j, const std::string& source) {
  if (j.is_number_float()) fail(source, "malformed header: " + j.dump() + " is not an integer");
  if (j.is_structured()) {
    for (const json& element : j) require_integers(element, source);
  }
}

// Parses the .fgnet container: the header JSON and the float constants.
struct Container {
  json header;
  std::vector<float> constants;
};

// The header's "format" version, 1 or 2; anything else (absent, not an
// integer, another number) is an InputError naming the file.
int format_version(const json& header, const std::string& source) {
  const auto it = header.is_object() ? header.find("format") : header.end();
  if (it == header.end() || !it->is_number_integer()) {
    fail(source, "header has no integer format version");
  }
  const auto format = it->get<std::int64_t>();
  if (format != 1 && format != 2) fail(source, "unknown format version");
  return static_cast<int>(format);
}

Container read_container(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    fail(source, "not a facegender network file (bad magic)");
  }
  std::uint32_t header_size = 0;
  std::memcpy(&header_size, bytes.data() + 8, 4);
  if (header_size > bytes.size() - 12) fail(source, "truncated header");
  Container c;
  try {
    c.header = json::parse(bytes.begin() + 12, bytes.begin() + 12 + header_size);
  } catch (const json::exception& e) {
    fail(source, std::string("malformed header: ") + e.what());
  }
  require_integers(c.header, source);
  const std::size_t data_begin = 12 + header_size;
  // Format 1 stores the constants as float32, format 2 as float16 (halves).
  const bool halves = format_version(c.header, source) == 2;
  const std::size_t width = halves ? 2 : 4;
  if ((bytes.size() - data_begin) % width != 0) {
    fail(source, std::string("constant data is not whole ") + (halves ? "halves" : "floats"));
  }
  c.constants.resize((bytes.size() - data_begin) / width);
  for (std::size_t i = 0; i < c.constants.size(); ++i) {
    const std::uint8_t* p = bytes.data() + data_begin + i * width;
    if (halves) {
      std::uint16_t h;
      std::memcpy(&h, p, 2);
      c.constants[i] = detail::half_to_float(h);
    } else {
      std::memcpy(&c.constants[i], p, 4);
    }
  }
  return c;
}

// Turns the header's operator list into checked Ops; the tensors with
// constant data are looked up in `constants`.
class GraphBuilder {
 public:
  GraphBuilder(const Container& c, InferenceNetworkData& net) : c_(c), net_(net) {}

  void build() {
    const json& h = c_.header;
    for (const json& t : h.at("tensors"))
      net_.shapes.push_back(t.at("shape").get<std::vector<int>>());
    const auto inputs = h.at("inputs").get<std::vector<int>>();
    if (inputs.size() != 1) fail(net_.source, "expected one input");
    net_.input = tensor_index(inputs[0]);
    net_.outputs = h.at("outputs").get<std::vector<int>>();
    for (int& o : net_.outputs) o = tensor_index(o);
    if (shape(net_.input).size() != 4 || shape(net_.input)[0] != 1) {
      fail(net_.source, "input must be NHWC with batch 1");
    }
    produced_.assign(net_.shapes.size(), false);
    produced_[static_cast<std::size_t>(net_.input)] = true;
    for (const json& j : h.at("ops")) {
      net_.ops.push_back(op(j));
      for (int i : net_.ops.back().inputs) {
        if (!produced_[static_cast<std::size_t>(i)]) {
          fail(net_.source, "operator " + std::to_string(net_.ops.size() - 1) + " reads tensor " +
                                std::to_string(i) + " before anything writes it");
        }
      }
      produced_[static_cast<std::size_t>(net_.ops.back().output)] = true;
    }
    for (int o : net_.outputs) {
      if (!produced_[static_cast<std::size_t>(o)]) fail(net_.source, "an output is never written");
    }
    plan_lifetimes();
  }

  // After which op each activation tensor is read for the last time; graph
  // outputs live to the end.
  void plan_lifetimes() {
    std::vector<int> last_read(net_.shapes.size(), -1);
    for (std::size_t i = 0; i < net_.ops.size(); ++i) {
      for (int t : net_.ops[i].inputs) last_read[static_cast<std::size_t>(t)] = static_cast<int>(i);
    }
    for (int o : net_.outputs) last_read[static_cast<std::size_t>(o)] = -1;
    net_.dies_after.assign(net_.ops.size(), {});
    for (std::size_t t = 0; t < last_read.size(); ++t) {
      if (last_read[t] >= 0)
        net_.dies_after[static_cast<std::size_t>(last_read[t])].push_back(static_cast<int>(t));
    }
  }

 private:
  int tensor_index(int i) const {
    if (i < 0 || static_cast<std::size_t>(i) >= net_.shapes.size()) {
      fail(net_.source, "tensor index " + std::to_string(i) + " out of range");
    }
    return i;
  }
  const std::vector<int>& shape(int i) const { return net_.shapes[static_cast<std::size_t>(i)]; }

  Extent extent(int i) const {
    const auto& s = shape(i);
    if (s.size() != 4 || s[0] != 1)
      fail(net_.source, "tensor " + std::to_string(i) + " is not NHWC, batch 1");
    return {s[1], s[2], s[3]};
  }

  const json& tensor(int i) const {
    return c_.header.at("tensors").at(static_cast<std::size_t>(i));
  }

  std::vector<float> constant(int i) const {
    const auto offset = tensor(i).at("constant").get<std::int64_t>();
    const std::size_t n = element_count(shape(i));
    if (offset < 0 || static_cast<std::size_t>(offset) + n > c_.constants.size()) {
      fail(net_.source, "tensor " + std::to_string(i) + " has no constant data in range");
    }
    const auto begin = c_.constants.begin() + static_cast<std::ptrdiff_t>(offset);
    return {begin, begin + static_cast<std::ptrdiff_t>(n)};
  }

  static Activation activation(const json& j) {
    const std::string a = j.value("activation", "none");
    if (a == "relu") return Activation::Relu;
    if (a == "relu6") return Activation::Relu6;
    return Activation::None;
  }

  // TFLite's SAME/VALID: the output size and the padding before.
  void place(Op& op, const json& j, Extent in, Extent out) const {
    const auto stride = j.at("stride").get<std::vector<int>>();
    const auto dilation = j.value("dilation", std::vector<int>{1, 1});
    op.window.stride_h = stride.at(0);
    op.window.stride_w = stride.at(1);
    op.window.dilation_h = dilation.at(0);
    op.window.dilation_w = dilation.at(1);
    auto axis = [&](int size, int k, int s, int d, int out_size, int& pad_before) {
      // Checked before dividing by the stride, and in 64 bits: a kernel,
      // stride or dilation near INT_MAX would overflow int.
      if (s < 1 || d < 1 || k < 1) fail(net_.source, "operator window is empty or has no step");
      const std::int64_t effective = (static_cast<std::int64_t>(k) - 1) * d + 1;
      if (effective > std::numeric_limits<int>::max())
        fail(net_.source, "operator window is larger than any tensor");
      const bool same = j.at("padding") == "same";
      const std::int64_t expected = same ? (static_cast<std::int64_t>(size) + s - 1) / s
                                         : (static_cast<std::int64_t>(size) - effective + s) / s;
      if (expected < 1 || expected != out_size)
        fail(net_.source, "operator output size does not match its window");
      pad_before =
          same ? static_cast<int>(
                     std::max<std::int64_t>(
                         (static_cast<std::int64_t>(out_size) - 1) * s + effective - size, 0) /
                     2)
               : 0;
    };
    axis(in.h, op.window.kh, op.window.stride_h, op.window.dilation_h, out.h, op.window.pad_top);
    axis(in.w, op.window.kw, op.window.stride_w, op.window.dilation_w, out.w, op.window.pad_left);
  }

  Op conv(const json& j, const std::vector<int>& in, Op op) {
    const Extent x = extent(in.at(0)), y = extent(op.output);
    const auto& ws = shape(in.at(1));  // [out][kh][kw][in]
    if (ws.size() != 4 || ws[0] != y.c || ws[3] != x.c)
      fail(net_.source, "convolution weights do not fit");
    op.window.kh = ws[1];
    op.window.kw = ws[2];
    place(op, j, x, y);
    const std::vector<float> w = constant(in.at(1));
    op.weights.resize(w.size());
    const std::size_t taps = static_cast<std::size_t>(ws[1]) * ws[2];
    for (int co = 0; co < ws[0]; ++co) {
      for (std::size_t t = 0; t < taps; ++t) {
        for (int ci = 0; ci < ws[3]; ++ci) {
          op.weights[(t * ws[3] + ci) * ws[0] + co] = w[(co * taps + t) * ws[3] + ci];
        }
      }
    }
    op.bias = constant(in.at(2));
    if (op.bias.size() != static_cast<std::size_t>(y.c))
      fail(net_.source, "convolution bias does not fit");
    net_.multiply_adds +=
        static_cast<std::int64_t>(y.size()) * static_cast<std::int64_t>(taps) * x.c;
    return op;
  }

  Op depthwise(const json& j, const std::vector<int>& in, Op op) {
    const Extent x = extent(in.at(0)), y = extent(op.output);
    const auto& ws = shape(in.at(1));  // [1][kh][kw][c]
    if (ws.size() != 4 || ws[0] != 1 || ws[3] != x.c || y.c != x.c)
      fail(net_.source, "depthwise weights do not fit");
    op.window.kh = ws[1];
    op.window.kw = ws[2];
    place(op, j, x, y);
    op.weights = constant(in.at(1));
    op.bias = constant(in.at(2));
    if (op.bias.size() != static_cast<std::size_t>(y.c))
      fail(net_.source, "depthwise bias does not fit");
    net_.multiply_adds += static_cast<std::int64_t>(y.size()) * ws[1] * ws[2];
    return op;
  }

  Op pad(const std::vector<int>& in, Op op) {
    const auto paddings = tensor(in.at(1)).at("ints").get<std::vector<int>>();
    const Extent x = extent(in.at(0)), y = extent(op.output);
    if (paddings.size() != 8 || paddings[0] != 0 || paddings[1] != 0)
      fail(net_.source, "unsupported padding");
    const int dims[3] = {x.h, x.w, x.c}, out_dims[3] = {y.h, y.w, y.c};
    for (int d = 0; d < 3; ++d) {
      op.pad_before[d] = paddings[2 + 2 * d];
      if (op.pad_before[d] < 0 || paddings[3 + 2 * d] < 0 ||
          dims[d] + op.pad_before[d] + paddings[3 + 2 * d] != out_dims[d]) {
        fail(net_.source, "padding does not fit its output");
      }
    }
    return op;
  }

  Op op(const json& j) {
    const std::string kind = j.at("op");
    std::vector<int> in = j.at("in").get<std::vector<int>>();
    for (int& i : in) i = tensor_index(i);
    const auto out = j.at("out").get<std::vector<int>>();
    if (out.size() != 1) fail(net_.source, kind + ": expected one output");
    Op op{};
    op.output = tensor_index(out[0]);
    op.activation = activation(j);
    op.inputs = {in.at(0)};
    if (kind == "conv2d") return op.kind = OpKind::Conv, conv(j, in, std::move(op));
    if (kind == "depthwise_conv2d")
      return op.kind = OpKind::Depthwise, depthwise(j, in, std::move(op));
    if (kind == "pad") return op.kind = OpKind::Pad, pad(in, std::move(op));
    if (kind == "max_pool2d") {
      op.kind = OpKind::MaxPool;
      const auto filter = j.at("filter").get<std::vector<int>>();
      op.window.kh = filter.at(0);
      op.window.kw = filter.at(1);
      place(op, j, extent(in[0]), extent(op.output));
      return op;
    }
    if (kind == "add" || kind == "concat") {
      op.inputs = in;
      op.kind = kind == "add" ? OpKind::Add : OpKind::Concat;
      check_elementwise_or_concat(op, j);
      return op;
    }
    if (kind == "relu" || kind == "reshape") {
      op.kind = kind == "relu" ? OpKind::Relu : OpKind::Reshape;
      if (element_count(shape(in[0])) != element_count(shape(op.output)))
        fail(net_.source, kind + ": sizes differ");
      return op;
    }
    if (kind == "resize_bilinear") {
      op.kind = OpKind::Resize;
      op.align_corners = j.value("align_corners", false);
      op.half_pixel_centers = j.value("half_pixel_centers", false);
      if (extent(in[0]).c != extent(op.output).c) fail(net_.source, "resize changes channels");
      return op;
    }
    fail(net_.source, "unknown operator '" + kind + "'");
  }

  void check_elementwise_or_concat(Op& op, const json& j) const {
    const auto& out_shape = shape(op.output);
    if (op.kind == OpKind::Add) {
      if (op.inputs.size() != 2 || shape(op.inputs[0]) != out_shape ||
          shape(op.inputs[1]) != out_shape) {
        fail(net_.source, "add: shapes differ (broadcasting is not supported)");
      }
      return;
    }
    const int rank = static_cast<int>(out_shape.size());
    op.axis = j.value("axis", 0);
    if (op.axis < 0) op.axis += rank;
    if (op.axis < 0 || op.axis >= rank) fail(net_.source, "concat: axis out of range");
    int total = 0;
    for (int i : op.inputs) {
      const auto& s = shape(i);
      if (static_cast<int>(s.size()) != rank) fail(net_.source, "concat: ranks differ");
      for (int d = 0; d < rank; ++d) {
        if (d != op.axis && s[d] != out_shape[d]) fail(net_.source, "concat: shapes differ");
      }
      total += s[op.axis];
    }
    if (total != out_shape[op.axis]) fail(net_.source, "concat: output size differs");
  }

  const Container& c_;
  InferenceNetworkData& net_;
  std::vector<bool> produced_;
};

void concat(const InferenceNetworkData& net, const Op& op,
            std::vector<std::vector<float>>& values) {
  const auto& out_shape = net.shapes[op.output];
  std::size_t outer = 1;
  for (int d = 0; d < op.axis; ++d) outer *= out_shape[d];
  float* dst = values[op.output].data();
  for (std::size_t o = 0; o < outer; ++o) {
    for (int i : op.inputs) {
      const std::size_t inner = element_count(net.shapes[i]) / outer;
      const float* src = values[i].data() + o * inner;
      dst = std::copy(src, src + inner, dst);
    }
  }
}

Extent extent_of(const std::vector<int>& s) {
  return {s[1], s[2], s[3]};
}

void run_op(const InferenceNetworkData& net, const Op& op,
            std::vector<std::vector<float>>& values) {
  const float* in = values[op.inputs[0]].data();
  float* out = values[op.output].data();
  const auto& in_shape = net.shapes[op.inputs[0]];
  const auto& out_shape = net.shapes[op.output];
  switch (op.kind) {
    case OpKind::Conv:
      return detail::conv2d(in, extent_of(in_shape), op.weights.data(), op.bias.data(), op.window,
                            op.activation, out, extent_of(out_shape));
    case OpKind::Depthwise:
      return detail::depthwise_conv2d(in, extent_of(in_shape), op.weights.data(), op.bias.data(),
                                      op.window, op.activation, out, extent_of(out_shape));
    case OpKind::MaxPool:
      return detail::max_pool2d(in, extent_of(in_shape), op.window, op.activation, out,
                                extent_of(out_shape));
    case OpKind::Add:
      return detail::add(in, values[op.inputs[1]].data(), values[op.output].size(), op.activation,
                         out);
    case OpKind::Relu:
      std::copy(in, in + values[op.output].size(), out);
      return detail::apply(Activation::Relu, out, values[op.output].size());
    case OpKind::Reshape:
      std::copy(in, in + values[op.output].size(), out);
      return;
    case OpKind::Pad:
      return detail::pad(in, extent_of(in_shape), op.pad_before, out, extent_of(out_shape));
    case OpKind::Concat:
      return concat(net, op, values);
    case OpKind::Resize:
      return detail::resize_bilinear(in, extent_of(in_shape), op.align_corners,
                                     op.half_pixel_centers, out, extent_of(out_shape));
  }
}

}  // namespace

InferenceNetwork::InferenceNetwork(std::shared_ptr<const InferenceNetworkData> data)
    : data_(std::move(data)) {}

InferenceNetwork InferenceNetwork::from_bytes(std::span<const std::uint8_t> bytes,
                                              const std::string& source) {
  const Container c = read_container(bytes, source);
  auto net = std::make_shared<InferenceNetworkData>();
  net->source = source;
  try {
    GraphBuilder(c, *net).build();
  } catch (const json::exception& e) {
    fail(source, std::string("malformed header: ") + e.what());
  } catch (const std::out_of_range& e) {  // a list too short: "in", "stride", "filter"
    fail(source, std::string("malformed header: ") + e.what());
  }
  return InferenceNetwork(std::move(net));
}

InferenceNetwork InferenceNetwork::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the network file");
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  return from_bytes(bytes, path);
}

const std::vector<int>& InferenceNetwork::input_shape() const {
  return data_->shapes[data_->input];
}

std::int64_t InferenceNetwork::multiply_adds() const {
  return data_->multiply_adds;
}

std::vector<Tensor> InferenceNetwork::run(std::span<const float> input) const {
  const InferenceNetworkData& net = *data_;
  const std::size_t n = element_count(input_shape());
  if (input.size() != n) {
    throw InputError(net.source + ": input has " + std::to_string(input.size()) +
                     " floats, the network takes " + std::to_string(n));
  }
  // Buffers are recycled once their tensor is dead, and kept per thread
  // between runs: allocating ~100 tensors afresh on every run cost more
  // page faults than the convolutions took.
  thread_local std::vector<std::vector<float>> pool;
  std::vector<std::vector<float>> values(net.shapes.size());
  auto take = [&](std::size_t size) {
    std::vector<float> buffer;
    if (!pool.empty()) {
      buffer = std::move(pool.back());
      pool.pop_back();
    }
    buffer.resize(size);
    return buffer;
  };
  values[net.input] = take(n);
  std::copy(input.begin(), input.end(), values[net.input].begin());
  for (std::size_t i = 0; i < net.ops.size(); ++i) {
    const Op& op = net.ops[i];
    values[op.output] = take(element_count(net.shapes[op.output]));
    run_op(net, op, values);
    for (int dead : net.dies_after[i]) pool.push_back(std::move(values[dead]));
  }
  std::vector<Tensor> outputs;
  for (int o : net.outputs) outputs.push_back({net.shapes[o], values[o]});
  for (auto& v : values) {
    if (v.capacity() > 0) pool.push_back(std::move(v));
  }
  return outputs;
}

}  // namespace facegender
