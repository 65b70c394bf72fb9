// dataset::read on any file (the packed .fgds that train / eval / inspect
// load; it takes a path, so the input is written to a scratch file first;
// "HEADER\0PIXELS" inputs get the magic and length from fuzz::framed).
// Contract: a dataset or std::runtime_error; a dataset has image_size in
// 1..4096, one face of pixels per record, every label a class (or -1 on an
// eval-only record), and writing it and reading it back gives the same header.
#include <cstdint>
#include <string>
#include <vector>

#include "dataset/packed_dataset.hpp"
#include "fuzz_support.hpp"

using namespace facegender::dataset;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = (fuzz::scratch_dir() / "input.fgds").string();
  static const std::string again = (fuzz::scratch_dir() / "again.fgds").string();
  const std::vector<std::uint8_t> file =
      fuzz::framed(data, size, std::string("FGDS\0\0\0\1", 8), 8);
  fuzz::write_bytes(path, file.data(), file.size());
  PackedDataset dataset;
  try {
    dataset = read(path);
  } catch (const std::runtime_error& e) {
    fuzz::rejected(e);
    return 0;
  }
  fuzz::accepted("dataset");
  fuzz::check(dataset.image_size >= 1 && dataset.image_size <= 4096, "image_size out of range");
  const auto face = static_cast<std::size_t>(dataset.image_size) * dataset.image_size;
  fuzz::check(dataset.pixels.size() == dataset.records.size() * face,
              "pixels do not fit the records");
  for (const Record& r : dataset.records) {
    fuzz::check((r.label == -1 && r.eval_only) ||
                    (r.label >= 0 && static_cast<std::size_t>(r.label) < dataset.classes.size()),
                "a record whose label is not a class");
  }
  for (std::size_t i = 0; i < dataset.size(); ++i) (void)dataset.face(i);
  (void)dataset.indices(Split::Train, true);
  // What read accepted, write writes, and read reads back the same.
  write(dataset, again);
  const PackedDataset reread = read(again);
  fuzz::check(header_text(reread) == header_text(dataset), "write + read changed the header");
  fuzz::check(reread.pixels == dataset.pixels, "write + read changed the pixels");
  return 0;
}
