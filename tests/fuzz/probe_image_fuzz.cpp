// prepare::probe_image on any bytes: the header sniffing `facegender prepare`
// runs on every input file before a decoder sees it. Contract: a header or
// SkipImage, nothing else; a header has a positive size within max_pixels
// and the format sniff_format names.
#include <cstdint>
#include <limits>
#include <span>

#include "fuzz_support.hpp"
#include "prepare/image_probe.hpp"
#include "prepare/skip.hpp"

using namespace facegender::prepare;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const ImageFormat sniffed = sniff_format(bytes);
  // prepare's default --max-pixels, then no limit at all.
  for (const std::uint64_t max_pixels :
       {std::uint64_t{40'000'000}, std::numeric_limits<std::uint64_t>::max()}) {
    try {
      const ImageHeader header = probe_image(bytes, max_pixels);
      fuzz::accepted(to_string(header.format));
      fuzz::check(header.format == sniffed && header.format != ImageFormat::Unknown,
                  "probe_image's format differs from sniff_format's");
      fuzz::check(header.width > 0 && header.height > 0, "probe_image accepted a zero size");
      fuzz::check(header.pixels() <= max_pixels, "probe_image accepted more than max_pixels");
    } catch (const SkipImage& e) {
      fuzz::rejected(e);
    }
  }
  return 0;
}
