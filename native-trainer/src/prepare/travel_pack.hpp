// The travel form of a packed dataset (.fgdz): the same JSON header, each
// face as a lossy WebP (quality 95 by default: ~40 MiB for all of UTKFace,
// against 114 MiB for gzip, which no lossless coder here gets under 60 MiB).
// For moving a dataset to a training machine; `facegender unpack` (or
// scripts/unpack-dataset.py where only Python is available) turns it back
// into a .fgds there.
//
// Layout: "FGDZ\0\0\0\1", uint64 LE header length, the .fgds JSON header
// (dataset::header_text),
// uint32 LE count, count x uint32 LE blob sizes, the WebP blobs.
#pragma once

#include <cstdint>
#include <string>

namespace facegender::prepare {

struct PackStats {
  std::uint64_t faces = 0;
  std::uint64_t bytes = 0;
  int max_abs_error = 0;      // largest pixel change the coding made
  double mean_abs_error = 0;  // per pixel
};

// Both write atomically and throw std::runtime_error naming the file.
PackStats pack_dataset(const std::string& fgds, const std::string& fgdz, int quality = 95);
std::uint64_t unpack_dataset(const std::string& fgdz, const std::string& fgds);

}  // namespace facegender::prepare
