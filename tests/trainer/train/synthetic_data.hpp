// A small two-class dataset drawn in the test: horizontal vs vertical
// stripes under noise, brightness and phase changes. Easy, but not trivial
// for a network that has seen nothing.
#pragma once

#include <string>

#include "dataset/packed_dataset.hpp"

namespace facegender::testing {

dataset::PackedDataset stripes_dataset(int per_class, unsigned seed);

// A fresh temporary folder, removed by the destructor.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

}  // namespace facegender::testing
