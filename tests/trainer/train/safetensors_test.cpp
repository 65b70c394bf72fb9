#include "common/safetensors.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/files.hpp"
#include "synthetic_data.hpp"

namespace facegender {
namespace {

TEST(Safetensors, RoundTrip) {
  testing::TempDir dir;
  TensorFile file;
  file.tensors["a.weight"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  file.tensors["b"] = {{1}, {-0.5f}};
  file.metadata["format"] = "pt";
  write_safetensors(file, dir / "w.safetensors");
  const TensorFile back = read_safetensors(dir / "w.safetensors");
  EXPECT_EQ(back.tensors.at("a.weight").values, file.tensors.at("a.weight").values);
  EXPECT_EQ(back.tensors.at("a.weight").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(back.metadata.at("format"), "pt");
  // The header is padded to 8 bytes, as the format asks.
  const std::string bytes = read_file(dir / "w.safetensors");
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i)
    header = (header << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  EXPECT_EQ(header % 8, 0u);
}

TEST(Safetensors, CorruptFilesNameTheFile) {
  testing::TempDir dir;
  TensorFile file;
  file.tensors["t"] = {{4}, {1, 2, 3, 4}};
  write_safetensors(file, dir / "good.safetensors");
  const std::string bytes = read_file(dir / "good.safetensors");
  auto expect_error = [&](const std::string& name, const std::string& content) {
    write_file_atomically(dir / name, content);
    try {
      read_safetensors(dir / name);
      FAIL() << name << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  expect_error("truncated.safetensors", bytes.substr(0, bytes.size() - 3));
  expect_error("short.safetensors", bytes.substr(0, 5));
  expect_error("garbage.safetensors", std::string(64, '\x7f'));
  std::string bad_json = bytes;
  bad_json[9] = '!';
  expect_error("badjson.safetensors", bad_json);
  EXPECT_THROW(read_safetensors(dir / "absent.safetensors"), std::runtime_error);
  TensorFile wrong;
  wrong.tensors["t"] = {{5}, {1, 2}};
  EXPECT_THROW(write_safetensors(wrong, dir / "wrong.safetensors"), std::runtime_error);
}

// Found by the safetensors fuzz target: a zero-element tensor passed a null
// pointer to memcpy, and a shape whose product overflows int64 was UB.
TEST(Safetensors, EmptyTensorsAndOverflowingShapes) {
  testing::TempDir dir;
  TensorFile file;
  file.tensors["empty"] = {{0, 4}, {}};
  write_safetensors(file, dir / "e.safetensors");
  EXPECT_TRUE(read_safetensors(dir / "e.safetensors").tensors.at("empty").values.empty());
  const std::string header =
      R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  write_file_atomically(dir / "o.safetensors", bytes + header);
  EXPECT_THROW(read_safetensors(dir / "o.safetensors"), std::runtime_error);
}

}  // namespace
}  // namespace facegender
