// Converts a TensorFlow Lite face-detection model (MediaPipe's BlazeFace) into
// the core's network file (.fgnet), which both the native and the WebAssembly
// builds read (facegender/network.hpp). Run at build time on the .tflite files
// of the npm package @mediapipe/face_detection; neither file is committed.
//
//   tflite_to_fgnet MODEL.tflite OUT.fgnet
//
// The .tflite is a FlatBuffer (identifier "TFL3"). Only the parts of its schema
// that these models use are read: tensors (shape, type, buffer), operators
// (code, inputs, outputs, builtin options) and buffers. float16 weights behind
// DEQUANTIZE operators become plain constants, so the .fgnet holds no
// DEQUANTIZE. Any operator or tensor type outside that set is an error.
//
// Layout of the .fgnet (little-endian):
//   "FGNET1\0\0" | u32 header size | header JSON | zero padding to 4 bytes |
//   constants: float16 when every one is exactly a half (header "format": 2;
//   BlazeFace's are, which halves the download), else float32 ("format": 1)
// The header lists tensors {shape, constant: offset into the floats or -1,
// ints: int32 constants}, the graph's inputs and outputs, and the operators
// with their options, in execution order.
#include <flatbuffers/flatbuffers.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "half_float.hpp"

namespace {

using json = nlohmann::ordered_json;
using flatbuffers::Table;
template <class T>
using Vec = flatbuffers::Vector<T>;
using TableVec = Vec<flatbuffers::Offset<Table>>;

// Field slots of the TFLite schema (schema.fbs): vtable offset = 4 + 2 * id.
constexpr flatbuffers::voffset_t slot(int id) {
  return static_cast<flatbuffers::voffset_t>(4 + 2 * id);
}
namespace model_field {
constexpr auto operator_codes = slot(1), subgraphs = slot(2), buffers = slot(4);
}
namespace subgraph_field {
constexpr auto tensors = slot(0), inputs = slot(1), outputs = slot(2), operators = slot(3);
}
namespace tensor_field {
constexpr auto shape = slot(0), type = slot(1), buffer = slot(2);
}
namespace operator_field {
constexpr auto opcode_index = slot(0), inputs = slot(1), outputs = slot(2), options = slot(4);
}
namespace opcode_field {
constexpr auto deprecated_builtin_code = slot(0), builtin_code = slot(3);
}

enum TensorType : std::int8_t { kFloat32 = 0, kFloat16 = 1, kInt32 = 2 };
enum Builtin : std::int32_t {
  kAdd = 0,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kMaxPool2d = 17,
  kRelu = 19,
  kReshape = 22,
  kResizeBilinear = 23,
  kPad = 34,
};

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw std::runtime_error(source + ": " + message);
}

using facegender::detail::half_to_float;

// Every float that is exactly a half, to its half: the constants are stored
// as halves when all of them are (format 2), else as floats (format 1).
const std::unordered_map<std::uint32_t, std::uint16_t>& halves_by_float_bits() {
  static const auto table = [] {
    std::unordered_map<std::uint32_t, std::uint16_t> t;
    for (std::uint32_t h = 0; h <= 0xffffu; ++h) {
      const float f = half_to_float(static_cast<std::uint16_t>(h));
      std::uint32_t bits;
      std::memcpy(&bits, &f, 4);
      t.emplace(bits, static_cast<std::uint16_t>(h));
    }
    return t;
  }();
  return table;
}

// `floats` as halves, or nothing when one of them is not exactly a half.
std::optional<std::vector<std::uint16_t>> as_halves(const std::vector<float>& floats) {
  const auto& table = halves_by_float_bits();
  std::vector<std::uint16_t> halves;
  halves.reserve(floats.size());
  for (const float f : floats) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const auto it = table.find(bits);
    if (it == table.end()) return std::nullopt;
    halves.push_back(it->second);
  }
  return halves;
}

const char* activation_name(int code, const std::string& source) {
  switch (code) {
    case 0:
      return "none";
    case 1:
      return "relu";
    case 3:
      return "relu6";
    default:
      fail(source, "unsupported fused activation " + std::to_string(code));
  }
}

const char* padding_name(int code) {
  return code == 0 ? "same" : "valid";
}

class Converter {
 public:
  Converter(const std::vector<std::uint8_t>& bytes, std::string source)
      : bytes_(bytes), source_(std::move(source)) {
    if (bytes_.size() < 8 || !flatbuffers::BufferHasIdentifier(bytes_.data(), "TFL3")) {
      fail(source_, "not a TensorFlow Lite model (no TFL3 identifier)");
    }
    model_ = flatbuffers::GetRoot<Table>(bytes_.data());
    const auto* subgraphs = model_->GetPointer<const TableVec*>(model_field::subgraphs);
    if (subgraphs == nullptr || subgraphs->size() != 1) fail(source_, "expected one subgraph");
    graph_ = subgraphs->Get(0);
    tensors_ = graph_->GetPointer<const TableVec*>(subgraph_field::tensors);
    buffers_ = model_->GetPointer<const TableVec*>(model_field::buffers);
    codes_ = model_->GetPointer<const TableVec*>(model_field::operator_codes);
    if (tensors_ == nullptr || buffers_ == nullptr || codes_ == nullptr) {
      fail(source_, "tensors, buffers or operator codes missing");
    }
  }

  void convert() {
    std::vector<json> tensors(tensors_->size());
    for (flatbuffers::uoffset_t i = 0; i < tensors_->size(); ++i) tensors[i] = tensor_json(i);
    json ops = json::array();
    const auto* operators = graph_->GetPointer<const TableVec*>(subgraph_field::operators);
    for (flatbuffers::uoffset_t i = 0; i < operators->size(); ++i) {
      const Table* op = operators->Get(i);
      const int code = builtin_code(op->GetField<std::uint32_t>(operator_field::opcode_index, 0));
      const auto ins = indices(op, operator_field::inputs);
      const auto outs = indices(op, operator_field::outputs);
      if (code == kDequantize) {
        dequantize(ins.at(0), outs.at(0), tensors);
        continue;
      }
      json j = operator_json(code, op);
      j["in"] = ins;
      j["out"] = outs;
      ops.push_back(std::move(j));
    }
    header_ = {{"format", 1},
               {"tensors", tensors},
               {"inputs", indices(graph_, subgraph_field::inputs)},
               {"outputs", indices(graph_, subgraph_field::outputs)},
               {"ops", ops}};
  }

  void write(const std::string& path) const {
    const std::optional<std::vector<std::uint16_t>> halves = as_halves(floats_);
    json header_json = header_;
    header_json["format"] = halves ? 2 : 1;
    std::string header = header_json.dump();
    while ((8 + 4 + header.size()) % 4 != 0) header.push_back(' ');
    const std::string tmp = path + ".tmp-convert";
    {
      std::ofstream out(tmp, std::ios::binary);
      const auto size = static_cast<std::uint32_t>(header.size());
      out.write("FGNET1\0\0", 8);
      out.write(reinterpret_cast<const char*>(&size), 4);
      out.write(header.data(), static_cast<std::streamsize>(header.size()));
      if (halves) {
        out.write(reinterpret_cast<const char*>(halves->data()),
                  static_cast<std::streamsize>(halves->size() * sizeof(std::uint16_t)));
      } else {
        out.write(reinterpret_cast<const char*>(floats_.data()),
                  static_cast<std::streamsize>(floats_.size() * sizeof(float)));
      }
      if (!out) fail(path, "cannot write");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "cannot rename into place");
  }

  std::size_t operator_count() const { return header_["ops"].size(); }
  std::size_t constant_count() const { return floats_.size(); }

 private:
  template <class Owner>
  std::vector<int> indices(const Owner* owner, flatbuffers::voffset_t field) const {
    const auto* v = owner->template GetPointer<const Vec<std::int32_t>*>(field);
    std::vector<int> out;
    if (v != nullptr) out.assign(v->begin(), v->end());
    return out;
  }

  int builtin_code(std::uint32_t index) const {
    const Table* code = codes_->Get(index);
    const int deprecated = code->GetField<std::int8_t>(opcode_field::deprecated_builtin_code, 0);
    const int current = code->GetField<std::int32_t>(opcode_field::builtin_code, 0);
    return std::max(deprecated, current);
  }

  const Vec<std::uint8_t>* buffer_of(const Table* tensor) const {
    const auto index = tensor->GetField<std::uint32_t>(tensor_field::buffer, 0);
    if (index == 0 || index >= buffers_->size()) return nullptr;
    const auto* data = buffers_->Get(index)->GetPointer<const Vec<std::uint8_t>*>(slot(0));
    return data != nullptr && data->size() > 0 ? data : nullptr;
  }

  json tensor_json(flatbuffers::uoffset_t index) {
    const Table* t = tensors_->Get(index);
    json j = {{"shape", indices(t, tensor_field::shape)}, {"constant", -1}};
    const auto* data = buffer_of(t);
    if (data == nullptr) return j;
    const auto type = t->GetField<std::int8_t>(tensor_field::type, kFloat32);
    if (type == kFloat32) {
      j["constant"] = append_floats(
          data,
          [](const std::uint8_t* p) {
            float f;
            std::memcpy(&f, p, 4);
            return f;
          },
          4);
    } else if (type == kInt32) {
      std::vector<std::int32_t> ints(data->size() / 4);
      std::memcpy(ints.data(), data->data(), ints.size() * 4);
      j["ints"] = ints;
    } else if (type != kFloat16) {  // float16 is read by its DEQUANTIZE
      fail(source_,
           "tensor " + std::to_string(index) + " has unsupported type " + std::to_string(type));
    }
    return j;
  }

  template <class Read>
  std::int64_t append_floats(const Vec<std::uint8_t>* data, Read read, std::size_t width) {
    const auto offset = static_cast<std::int64_t>(floats_.size());
    for (std::size_t i = 0; i + width <= data->size(); i += width) {
      floats_.push_back(read(data->data() + i));
    }
    return offset;
  }

  void dequantize(int in, int out, std::vector<json>& tensors) {
    const Table* t = tensors_->Get(static_cast<flatbuffers::uoffset_t>(in));
    const auto* data = buffer_of(t);
    if (data == nullptr || t->GetField<std::int8_t>(tensor_field::type, 0) != kFloat16) {
      fail(source_, "DEQUANTIZE of tensor " + std::to_string(in) + " is not a float16 constant");
    }
    tensors[static_cast<std::size_t>(out)]["constant"] = append_floats(
        data,
        [](const std::uint8_t* p) {
          std::uint16_t h;
          std::memcpy(&h, p, 2);
          return half_to_float(h);
        },
        2);
  }

  json operator_json(int code, const Table* op) const {
    const auto* o = op->GetPointer<const Table*>(operator_field::options);
    auto field = [&](int id, int fallback) {
      return o == nullptr ? fallback
                          : static_cast<int>(o->GetField<std::int32_t>(slot(id), fallback));
    };
    auto byte_field = [&](int id, int fallback) {
      return o == nullptr ? fallback
                          : static_cast<int>(o->GetField<std::int8_t>(
                                slot(id), static_cast<std::int8_t>(fallback)));
    };
    switch (code) {
      case kConv2d:
        return {{"op", "conv2d"},
                {"padding", padding_name(byte_field(0, 0))},
                {"stride", {field(2, 1), field(1, 1)}},
                {"activation", activation_name(byte_field(3, 0), source_)},
                {"dilation", {field(5, 1), field(4, 1)}}};
      case kDepthwiseConv2d:
        if (field(3, 1) != 1) fail(source_, "depth multiplier other than 1");
        return {{"op", "depthwise_conv2d"},
                {"padding", padding_name(byte_field(0, 0))},
                {"stride", {field(2, 1), field(1, 1)}},
                {"activation", activation_name(byte_field(4, 0), source_)},
                {"dilation", {field(6, 1), field(5, 1)}}};
      case kMaxPool2d:
        return {{"op", "max_pool2d"},
                {"padding", padding_name(byte_field(0, 0))},
                {"stride", {field(2, 1), field(1, 1)}},
                {"filter", {field(4, 1), field(3, 1)}},
                {"activation", activation_name(byte_field(5, 0), source_)}};
      case kAdd:
        return {{"op", "add"}, {"activation", activation_name(byte_field(0, 0), source_)}};
      case kConcatenation:
        return {{"op", "concat"},
                {"axis", field(0, 0)},
                {"activation", activation_name(byte_field(1, 0), source_)}};
      case kRelu:
        return {{"op", "relu"}};
      case kPad:
        return {{"op", "pad"}};
      case kReshape:
        return {{"op", "reshape"}};
      case kResizeBilinear:
        return {{"op", "resize_bilinear"},
                {"align_corners", byte_field(2, 0) != 0},
                {"half_pixel_centers", byte_field(3, 0) != 0}};
      default:
        fail(source_, "unsupported operator code " + std::to_string(code));
    }
  }

  const std::vector<std::uint8_t>& bytes_;
  std::string source_;
  const Table* model_ = nullptr;
  const Table* graph_ = nullptr;
  const TableVec* tensors_ = nullptr;
  const TableVec* buffers_ = nullptr;
  const TableVec* codes_ = nullptr;
  std::vector<float> floats_;
  json header_;
};

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tflite_to_fgnet MODEL.tflite OUT.fgnet\n";
    return 2;
  }
  try {
    const std::vector<std::uint8_t> bytes = read_file(argv[1]);
    Converter converter(bytes, argv[1]);
    converter.convert();
    converter.write(argv[2]);
    std::cout << argv[2] << ": " << converter.operator_count() << " operators, "
              << converter.constant_count() << " float constants\n";
  } catch (const std::exception& e) {
    std::cerr << "tflite_to_fgnet: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
