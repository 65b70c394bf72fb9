// A small two-class dataset drawn in the test: horizontal vs vertical
// stripes under noise, brightness and phase changes. Easy, but not trivial
// for a network that has seen nothing.
#pragma once

#include <string>

#include "dataset/packed_dataset.hpp"
#include "test_support.hpp"  // TempDir

namespace facegender::testing {

dataset::PackedDataset stripes_dataset(int per_class, unsigned seed);

}  // namespace facegender::testing
