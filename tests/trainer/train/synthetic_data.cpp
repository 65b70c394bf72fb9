#include "synthetic_data.hpp"

#include <cmath>
#include <random>

namespace facegender::testing {

dataset::PackedDataset stripes_dataset(int per_class, unsigned seed) {
  dataset::PackedDataset data;
  data.image_size = 100;
  data.classes = {"horizontal", "vertical"};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 25.0);
  const int size = data.image_size;
  for (int i = 0; i < 2 * per_class; ++i) {
    const int label = i % 2;
    const double period = 8.0 + 10.0 * unit(rng);
    const double phase = 2.0 * M_PI * unit(rng);
    const double base = 80.0 + 80.0 * unit(rng);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double t = label == 0 ? y : x;
        const double v = base + 45.0 * std::sin(2.0 * M_PI * t / period + phase) + noise(rng);
        data.pixels.push_back(static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0)));
      }
    }
    dataset::Record r;
    r.label = label;
    r.split = i % 10 == 0   ? dataset::Split::Test
              : i % 10 == 1 ? dataset::Split::Val
                            : dataset::Split::Train;
    // One test face in five (all of class 0) is eval-only, like the seed's ambiguous/ folder.
    r.eval_only = r.split == dataset::Split::Test && i % 50 == 0;
    r.age = 5 + (i * 7) % 80;
    r.race = i % 5;
    r.source = "synthetic/" + std::to_string(i) + ".png";
    r.sha256 = std::string(64, '0');
    data.records.push_back(r);
  }
  data.provenance = {{"generator", "stripes_dataset"}, {"seed", seed}};
  return data;
}

}  // namespace facegender::testing
