// read_checkpoint on any checkpoint JSON. A valid checkpoint is written once
// with write_checkpoint into a scratch folder; each input then replaces the
// JSON that wrote, next to the valid weights, and is read back with
// read_checkpoint(path to the JSON). Nothing here assumes how
// write_checkpoint names its files beyond "one .json". Contract: a checkpoint
// or std::runtime_error.
#include <cstdint>
#include <filesystem>
#include <string>

#include "checkpoint_fixture.hpp"
#include "fuzz_support.hpp"

namespace fs = std::filesystem;

namespace {

// The JSON write_checkpoint wrote, the one file the inputs replace.
std::string checkpoint_json() {
  const fs::path dir = fuzz::scratch_dir() / "checkpoint";
  facegender::write_checkpoint(fuzz::small_checkpoint(), dir.string(), "fuzz");
  std::string json;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") {
      if (!json.empty()) fuzz::fail("write_checkpoint wrote more than one .json");
      json = entry.path().string();
    }
  }
  if (json.empty()) fuzz::fail("write_checkpoint wrote no .json");
  // The harness is useless if the untouched checkpoint does not read back.
  (void)facegender::read_checkpoint(json);
  return json;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string json = checkpoint_json();
  fuzz::write_bytes(json, data, size);
  try {
    const facegender::Checkpoint c = facegender::read_checkpoint(json);
    fuzz::check(c.state.is_object(), "a checkpoint whose state is not a JSON object");
    fuzz::accepted("checkpoint");
  } catch (const std::runtime_error& e) {
    fuzz::rejected(e);
  }
  return 0;
}
