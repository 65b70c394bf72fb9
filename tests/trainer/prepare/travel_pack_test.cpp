// The travel form (.fgdz): header kept exactly, faces within the lossy
// coding's error, damaged files refused with their name.
#include "prepare/travel_pack.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "common/files.hpp"
#include "dataset/packed_dataset.hpp"
#include "fixtures.hpp"

namespace facegender::testing {
namespace {

dataset::PackedDataset smooth_faces(int count) {
  dataset::PackedDataset data;
  data.classes = {"a", "b"};
  for (int i = 0; i < count; ++i) {
    for (int y = 0; y < 100; ++y) {
      for (int x = 0; x < 100; ++x) {
        data.pixels.push_back(
            static_cast<std::uint8_t>(128 + 90 * std::sin((x + 3 * i) / 9.0) * std::cos(y / 13.0)));
      }
    }
    dataset::Record r;
    r.label = i % 2;
    r.split = i % 3 == 0 ? dataset::Split::Val : dataset::Split::Train;
    r.age = 20 + i;
    r.source = "face" + std::to_string(i) + ".jpg";
    r.sha256 = std::string(64, 'a');
    data.records.push_back(r);
  }
  data.provenance = {{"tool", "test"}};
  return data;
}

TEST(TravelPack, RoundTripKeepsEverythingButCodingNoise) {
  TempDir dir;
  const dataset::PackedDataset original = smooth_faces(6);
  dataset::write(original, dir / "d.fgds");
  const prepare::PackStats stats = prepare::pack_dataset(dir / "d.fgds", dir / "d.fgdz");
  EXPECT_EQ(stats.faces, 6u);
  EXPECT_LE(stats.max_abs_error, 12);
  EXPECT_EQ(prepare::unpack_dataset(dir / "d.fgdz", dir / "back.fgds"), 6u);
  const dataset::PackedDataset back = dataset::read(dir / "back.fgds");
  EXPECT_EQ(back.classes, original.classes);
  EXPECT_EQ(back.provenance, original.provenance);
  ASSERT_EQ(back.records.size(), original.records.size());
  EXPECT_EQ(back.records[3].age, original.records[3].age);
  EXPECT_EQ(back.records[3].split, original.records[3].split);
  ASSERT_EQ(back.pixels.size(), original.pixels.size());
  double total = 0;
  int worst = 0;
  for (std::size_t i = 0; i < back.pixels.size(); ++i) {
    const int d = std::abs(static_cast<int>(back.pixels[i]) - static_cast<int>(original.pixels[i]));
    worst = std::max(worst, d);
    total += d;
  }
  EXPECT_EQ(worst, stats.max_abs_error);  // what pack reported is what unpack gives
  EXPECT_LT(total / static_cast<double>(back.pixels.size()), 2.0);
}

TEST(TravelPack, DamagedFilesNameTheFile) {
  TempDir dir;
  dataset::write(smooth_faces(2), dir / "d.fgds");
  prepare::pack_dataset(dir / "d.fgds", dir / "d.fgdz");
  const std::string bytes = read_file(dir / "d.fgdz");
  write_file_atomically(dir / "cut.fgdz", bytes.substr(0, bytes.size() - 40));
  write_file_atomically(dir / "other.fgdz", "FGDS" + bytes.substr(4));
  for (const std::string name : {"cut.fgdz", "other.fgdz"}) {
    try {
      prepare::unpack_dataset(dir / name, dir / "out.fgds");
      FAIL() << name << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(prepare::pack_dataset(dir / "d.fgdz", dir / "x.fgdz"),
               std::runtime_error);  // not a .fgds
}

}  // namespace
}  // namespace facegender::testing
