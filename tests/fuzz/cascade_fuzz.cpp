// Cascade::from_json on any text (the Haar cascade JSON the browser fetches
// and the trainer reads), then detection with what it accepted. Contract: a
// cascade or InputError; an accepted cascade detects on any Gray8 image
// without reading outside it.
#include <cstdint>
#include <string_view>

#include "facegender/detect.hpp"
#include "fuzz_support.hpp"

using namespace facegender;

namespace {

// Bright and dark bands with some texture, so that windows pass the
// variance check and stages are evaluated.
const Image& photo() {
  static const Image image = [] {
    Image img(64, 48, PixelFormat::Gray8);
    for (int y = 0; y < img.height(); ++y) {
      for (int x = 0; x < img.width(); ++x) {
        const int band = ((x / 8) + (y / 6)) % 2 == 0 ? 40 : 200;
        img.row(y)[x] = static_cast<std::uint8_t>(band + (x * 7 + y * 13) % 23);
      }
    }
    return img;
  }();
  return image;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Cascade cascade = Cascade::from_json(text, "fuzz.json");
    fuzz::check(cascade.window_width() >= 3 && cascade.window_height() >= 3 &&
                    cascade.window_width() <= 1000 && cascade.window_height() <= 1000,
                "a cascade window outside the range from_json promises");
    fuzz::check(cascade.stage_count() > 0, "a cascade without stages");
    fuzz::accepted("cascade");
    DetectParams params;
    params.min_neighbors = 0;
    (void)cascade.detect_candidates(photo().view(), params);
    params.min_neighbors = 1;
    params.scale_factor = 1.25;
    for (const Box& b : cascade.detect(photo().view(), params)) {
      fuzz::check(b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0 &&
                      b.x + b.width <= photo().width() && b.y + b.height <= photo().height(),
                  "detect returned a box outside the image");
    }
    (void)estimate_roll(cascade, photo().view(), Box{4, 2, 56, 44});
  } catch (const InputError& e) {
    fuzz::rejected(e);
  }
  return 0;
}
