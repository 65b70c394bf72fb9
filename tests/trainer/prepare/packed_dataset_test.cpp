// The packed dataset file: split rule, round trip, and errors that name the
// file for every way a file can be damaged.
#include "dataset/packed_dataset.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fixtures.hpp"

namespace facegender::testing {
namespace {

using dataset::PackedDataset;
using dataset::Record;
using dataset::Split;

PackedDataset small_dataset() {
  PackedDataset data;
  data.image_size = 4;
  data.classes = {"male", "female"};
  data.records = {
      {0, Split::Train, false, 23, 1, "a/b c.jpg", std::string(64, 'a'), true},
      {1, Split::Val, false, std::nullopt, std::nullopt, "b.jpg", std::string(64, 'b'), false},
      {-1, Split::Test, true, 40, std::nullopt, "ambiguous/x.png", std::string(64, 'c'), true},
      {1, Split::Test, true, std::nullopt, 3, "Eval/ambiguous/1/y.png", std::string(64, 'd'), true},
  };
  for (std::size_t i = 0; i < data.records.size() * 16; ++i) {
    data.pixels.push_back(static_cast<std::uint8_t>(i * 7));
  }
  data.provenance = {{"tool", "test"}};
  data.report = {{"kept", 4}};
  return data;
}

std::string bytes_of(const std::string& path) {
  const Bytes bytes = read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// Expects read() to fail with a message naming the file and saying `problem`.
void expect_read_error(const std::string& path, const std::string& problem) {
  try {
    dataset::read(path);
    FAIL() << "read() accepted " << path << " (expected: " << problem << ")";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
  }
}

// The split rule itself is the core's (tests/unit/dataset_test.cpp).
TEST(SplitNames, RoundTripAndRejectUnknown) {
  for (Split split : {Split::Train, Split::Val, Split::Test}) {
    EXPECT_EQ(dataset::split_from_string(dataset::to_string(split)), split);
  }
  EXPECT_THROW(dataset::split_from_string("validation"), std::runtime_error);
}

TEST(PackedDataset, RoundTripKeepsEveryField) {
  TempDir dir;
  const PackedDataset original = small_dataset();
  dataset::write(original, dir / "d.fgds");
  const PackedDataset copy = dataset::read(dir / "d.fgds");
  EXPECT_EQ(copy.image_size, 4);
  EXPECT_EQ(copy.classes, original.classes);
  EXPECT_EQ(copy.pixels, original.pixels);
  EXPECT_EQ(copy.provenance, original.provenance);
  EXPECT_EQ(copy.report, original.report);
  ASSERT_EQ(copy.size(), original.size());
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const Record& a = original.records[i];
    const Record& b = copy.records[i];
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.split, b.split);
    EXPECT_EQ(a.eval_only, b.eval_only);
    EXPECT_EQ(a.age, b.age);
    EXPECT_EQ(a.race, b.race);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.sha256, b.sha256);
    EXPECT_EQ(a.face_found, b.face_found);
  }
  const std::string bytes = bytes_of(dir / "d.fgds");
  EXPECT_EQ(bytes.substr(0, 8), std::string("FGDS\0\0\0\1", 8));
  EXPECT_EQ(bytes.substr(bytes.size() - 64),
            std::string(original.pixels.end() - 64, original.pixels.end()));
}

TEST(PackedDataset, FaceAndIndices) {
  const PackedDataset data = small_dataset();
  const auto face = data.face(2);
  ASSERT_EQ(face.size(), 16u);
  EXPECT_EQ(face[0], data.pixels[32]);
  EXPECT_THROW(data.face(4), std::out_of_range);
  EXPECT_EQ(data.indices(Split::Train), (std::vector<std::size_t>{0}));
  EXPECT_EQ(data.indices(Split::Test), (std::vector<std::size_t>{2, 3}));
  EXPECT_TRUE(data.indices(Split::Test, true).empty());  // eval-only never trained on
}

TEST(PackedDataset, WriteReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  TempDir dir;
  write_text(dir / "d.fgds", "old contents");
  dataset::write(small_dataset(), dir / "d.fgds");
  EXPECT_EQ(dataset::read(dir / "d.fgds").size(), 4u);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 1u);
}

TEST(PackedDataset, WriteRefusesInconsistentData) {
  TempDir dir;
  PackedDataset data = small_dataset();
  data.pixels.pop_back();
  EXPECT_THROW(dataset::write(data, dir / "d.fgds"), std::runtime_error);
  data = small_dataset();
  data.records[0].label = 2;  // only two classes
  EXPECT_THROW(dataset::write(data, dir / "d.fgds"), std::runtime_error);
  data = small_dataset();
  data.records[0].label = -1;  // no class is allowed only for eval-only records
  EXPECT_THROW(dataset::write(data, dir / "d.fgds"), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(dir / "d.fgds"));
  EXPECT_THROW(dataset::write(small_dataset(), dir / "no/such/folder/d.fgds"), std::runtime_error);
}

TEST(PackedDataset, CorruptFilesGiveErrorsNamingTheFile) {
  TempDir dir;
  dataset::write(small_dataset(), dir / "good.fgds");
  const std::string good = bytes_of(dir / "good.fgds");
  const std::uint64_t header_length = static_cast<unsigned char>(good[8]) +
                                      256u * static_cast<unsigned char>(good[9]) +
                                      65536u * static_cast<unsigned char>(good[10]);
  auto variant = [&](const std::string& name, const std::string& bytes) {
    write_text(dir / name, bytes);
    return dir / name;
  };

  expect_read_error(dir / "missing.fgds", "cannot read");
  expect_read_error(variant("empty.fgds", ""), "truncated");
  expect_read_error(variant("magic.fgds", "PNG!" + good.substr(4)), "bad magic");
  expect_read_error(variant("pixels.fgds", good.substr(0, good.size() - 1)), "truncated");
  expect_read_error(variant("extra.fgds", good + "x"), "pixel bytes");
  std::string long_header = good;
  long_header[13] = 0x7F;  // header length far beyond the file
  expect_read_error(variant("length.fgds", long_header), "header length");
  std::string bad_json = good;
  bad_json[16] = '[';  // '{' of the header
  bad_json[17] = '!';
  expect_read_error(variant("json.fgds", bad_json), "not valid JSON");
  std::string other_format = good;
  const std::size_t at = other_format.find("facegender-dataset/1");
  other_format[at + 19] = '9';
  expect_read_error(variant("format.fgds", other_format), "facegender-dataset/9");
  std::string bad_split = good;
  const std::size_t split_at = bad_split.find("\"train\"");
  bad_split.replace(split_at, 7, "\"trian\"");
  expect_read_error(variant("split.fgds", bad_split), "unknown split 'trian'");
  std::string bad_label = good;
  const std::size_t label_at = bad_label.find("\"label\":1");
  bad_label[label_at + 8] = '7';
  expect_read_error(variant("label.fgds", bad_label), "label 7 is outside");
  EXPECT_LT(header_length, good.size());
  expect_read_error(dir.path().string(), "cannot read");  // a folder
}

// Found by tests/fuzz (packed_dataset): a "format" that is not a string
// escaped as nlohmann's type_error instead of the runtime_error read()
// promises, and a float where an int belongs (an image_size of 1e10) went
// through get<int>(), a static_cast: undefined behaviour.
TEST(PackedDataset, HeadersOfTheWrongTypesAreRuntimeErrors) {
  TempDir dir;
  auto file_with_header = [&](const std::string& name, const std::string& header) {
    std::string bytes("FGDS\0\0\0\1", 8);
    for (int i = 0; i < 8; ++i)
      bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
    write_text(dir / name, bytes + header);
    return dir / name;
  };
  const std::string rest = R"("classes":["a","b"],"records":[])";
  expect_read_error(file_with_header("format.fgds", R"({"format":1,"image_size":4,)" + rest + "}"),
                    "header format is '1'");
  expect_read_error(
      file_with_header("size.fgds",
                       R"({"format":"facegender-dataset/1","image_size":1e10,)" + rest + "}"),
      "wrong type");
  expect_read_error(
      file_with_header("half.fgds",
                       R"({"format":"facegender-dataset/1","image_size":4.5,)" + rest + "}"),
      "wrong type");
  expect_read_error(
      file_with_header("label.fgds",
                       R"({"format":"facegender-dataset/1","image_size":4,"classes":["a","b"],)"
                       R"("records":[{"label":1e20,"split":"train","source":"x","sha256":""}]})"),
      "wrong type");
  // An integral float is still an int.
  const std::string whole = file_with_header(
      "whole.fgds", R"({"format":"facegender-dataset/1","image_size":4.0,)" + rest + "}");
  EXPECT_EQ(dataset::read(whole).image_size, 4);
}

}  // namespace
}  // namespace facegender::testing
