// File bytes -> 8-bit gray pixels, by content (a PNG named .jpg decodes as a
// PNG), with the EXIF orientation applied, as a browser shows the photo.
#pragma once

#include <cstdint>
#include <span>

#include "facegender/image.hpp"

namespace facegender::prepare {

// Refuses images over `max_pixels` from their header, before decoding (see
// image_probe.hpp). 16-bit images become 8-bit, CMYK and palette become
// colour, alpha is dropped (as the browser's RGBA -> gray ignores it); the
// colour image then goes through the core's to_gray, like the browser's
// frames. Throws SkipImage with the reason.
Image decode_gray(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels);

// The same decode, kept in colour (RGB8), for the BlazeFace detector.
Image decode_rgb(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels);

}  // namespace facegender::prepare
