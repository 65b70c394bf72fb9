#include "prepare/image_probe.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <string>

#include "prepare/skip.hpp"

namespace facegender::prepare {
namespace {

using Bytes = std::span<const std::uint8_t>;

bool starts_with(Bytes bytes, std::initializer_list<std::uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

bool has_text_at(Bytes bytes, std::size_t offset, const char* text) {
  const std::string_view expected(text);
  if (bytes.size() < offset + expected.size()) return false;
  return std::equal(expected.begin(), expected.end(), bytes.begin() + static_cast<long>(offset),
                    [](char c, std::uint8_t b) { return static_cast<std::uint8_t>(c) == b; });
}

[[noreturn]] void truncated(ImageFormat format, const std::string& what) {
  throw SkipImage(Reason::Truncated, std::string(to_string(format)) + " data ends early: " + what);
}

[[noreturn]] void malformed(ImageFormat format, const std::string& what) {
  throw SkipImage(Reason::DecodeFailed,
                  std::string("malformed ") + to_string(format) + ": " + what);
}

// Byte readers that refuse to run past the end (a header cut short).
void need(Bytes bytes, std::size_t end, ImageFormat format) {
  if (bytes.size() < end)
    truncated(format, "header needs " + std::to_string(end) + " bytes, file has " +
                          std::to_string(bytes.size()));
}
std::uint32_t be16(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at]} << 8) | b[at + 1];
}
std::uint32_t le16(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at + 1]} << 8) | b[at];
}
std::uint32_t be32(Bytes b, std::size_t at) {
  return (be16(b, at) << 16) | be16(b, at + 2);
}
std::uint32_t le32(Bytes b, std::size_t at) {
  return (le16(b, at + 2) << 16) | le16(b, at);
}
std::uint32_t le24(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at + 2]} << 16) | (std::uint32_t{b[at + 1]} << 8) | b[at];
}

bool is_jpeg_frame_marker(std::uint8_t marker) {
  // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

bool is_standalone_marker(std::uint8_t marker) {
  return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7);
}

// Entropy-coded data never holds FF D9 (a literal FF is stuffed as FF 00), so
// a JPEG whose first scan is not followed by an end-of-image marker was cut
// short. libjpeg would "decode" it anyway, filling the rest with grey.
void check_jpeg_end(Bytes bytes, std::size_t scan_start) {
  constexpr std::array<std::uint8_t, 2> kEnd = {0xFF, 0xD9};
  const auto scan = bytes.subspan(scan_start);
  if (std::search(scan.begin(), scan.end(), kEnd.begin(), kEnd.end()) == scan.end()) {
    truncated(ImageFormat::Jpeg, "no end-of-image marker after the scan data");
  }
}

ImageHeader probe_jpeg(Bytes bytes) {
  constexpr ImageFormat kJpeg = ImageFormat::Jpeg;
  ImageHeader header{kJpeg, 0, 0};
  std::size_t pos = 2;  // after SOI
  bool have_frame = false;
  while (true) {
    need(bytes, pos + 2, kJpeg);
    if (bytes[pos] != 0xFF) malformed(kJpeg, "expected a marker at byte " + std::to_string(pos));
    while (pos < bytes.size() && bytes[pos] == 0xFF) ++pos;  // fill bytes
    need(bytes, pos + 1, kJpeg);
    const std::uint8_t marker = bytes[pos++];
    if (is_standalone_marker(marker)) continue;
    if (marker == 0xD9) malformed(kJpeg, "end-of-image marker before any scan");
    need(bytes, pos + 2, kJpeg);
    const std::size_t length = be16(bytes, pos);
    if (length < 2) malformed(kJpeg, "segment length " + std::to_string(length));
    need(bytes, pos + length, kJpeg);
    if (marker == 0xDA) {
      if (!have_frame) malformed(kJpeg, "scan before the frame header");
      check_jpeg_end(bytes, pos + length);
      return header;
    }
    if (is_jpeg_frame_marker(marker) && !have_frame) {
      if (length < 7) malformed(kJpeg, "frame header too short");
      header.height = be16(bytes, pos + 3);
      header.width = be16(bytes, pos + 5);
      have_frame = true;
    }
    pos += length;
  }
}

ImageHeader probe_png(Bytes bytes) {
  constexpr ImageFormat kPng = ImageFormat::Png;
  need(bytes, 24, kPng);
  if (!has_text_at(bytes, 12, "IHDR")) malformed(kPng, "first chunk is not IHDR");
  ImageHeader header{kPng, be32(bytes, 16), be32(bytes, 20)};
  // The last chunk is IEND: 4-byte length, "IEND", 4-byte CRC.
  if (bytes.size() < 12 || !has_text_at(bytes, bytes.size() - 8, "IEND")) {
    truncated(kPng, "no IEND chunk at the end");
  }
  return header;
}

ImageHeader probe_bmp(Bytes bytes) {
  constexpr ImageFormat kBmp = ImageFormat::Bmp;
  need(bytes, 18, kBmp);
  const std::uint32_t info_size = le32(bytes, 14);
  if (info_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    need(bytes, 22, kBmp);
    return {kBmp, le16(bytes, 18), le16(bytes, 20)};
  }
  need(bytes, 26, kBmp);
  // Height is negative for top-down bitmaps.
  const auto width = static_cast<std::int32_t>(le32(bytes, 18));
  const auto height = static_cast<std::int32_t>(le32(bytes, 22));
  if (width < 0) malformed(kBmp, "negative width");
  const std::int64_t rows = height < 0 ? -static_cast<std::int64_t>(height) : height;
  return {kBmp, static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(rows)};
}

ImageHeader probe_webp(Bytes bytes) {
  constexpr ImageFormat kWebp = ImageFormat::Webp;
  need(bytes, 30, kWebp);
  if (has_text_at(bytes, 12, "VP8X")) {  // extended: 24-bit canvas size minus one
    return {kWebp, le24(bytes, 24) + 1ull, le24(bytes, 27) + 1ull};
  }
  if (has_text_at(bytes, 12, "VP8L")) {  // lossless: 14-bit sizes minus one after 0x2F
    if (bytes[20] != 0x2F) malformed(kWebp, "bad lossless signature");
    const std::uint32_t bits = le32(bytes, 21);
    return {kWebp, (bits & 0x3FFFu) + 1ull, ((bits >> 14) & 0x3FFFu) + 1ull};
  }
  if (has_text_at(bytes, 12, "VP8 ")) {  // lossy: key frame start code, then 14-bit sizes
    if (!(bytes[23] == 0x9D && bytes[24] == 0x01 && bytes[25] == 0x2A)) {
      malformed(kWebp, "bad key frame start code");
    }
    return {kWebp, le16(bytes, 26) & 0x3FFFu, le16(bytes, 28) & 0x3FFFu};
  }
  throw SkipImage(Reason::UnsupportedFormat, "WebP without a VP8, VP8L or VP8X chunk");
}

ImageHeader probe_tiff(Bytes bytes) {
  constexpr ImageFormat kTiff = ImageFormat::Tiff;
  const bool little = bytes[0] == 'I';
  auto u16 = [&](std::size_t at) { return little ? le16(bytes, at) : be16(bytes, at); };
  auto u32 = [&](std::size_t at) { return little ? le32(bytes, at) : be32(bytes, at); };
  need(bytes, 8, kTiff);
  const std::size_t ifd = u32(4);
  need(bytes, ifd + 2, kTiff);
  const std::size_t entries = u16(ifd);
  ImageHeader header{kTiff, 0, 0};
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t entry = ifd + 2 + 12 * i;
    need(bytes, entry + 12, kTiff);
    const std::uint32_t tag = u16(entry);
    if (tag != 256 && tag != 257) continue;  // ImageWidth, ImageLength
    const std::uint32_t type = u16(entry + 2);
    std::uint64_t value = 0;
    if (type == 3) {
      value = u16(entry + 8);  // SHORT, left-justified in the value field
    } else if (type == 4) {
      value = u32(entry + 8);  // LONG
    } else {
      malformed(kTiff, "size tag of type " + std::to_string(type));
    }
    (tag == 256 ? header.width : header.height) = value;
  }
  if (header.width == 0 || header.height == 0)
    malformed(kTiff, "no ImageWidth/ImageLength in the first IFD");
  return header;
}

// Netpbm: "P5 <ws> width <ws> height ...", with # comments up to end of line.
ImageHeader probe_pnm(Bytes bytes) {
  constexpr ImageFormat kPnm = ImageFormat::Pnm;
  std::size_t pos = 2;
  std::array<std::uint64_t, 2> size{};
  for (std::uint64_t& value : size) {
    while (true) {
      need(bytes, pos + 1, kPnm);
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else if (std::isspace(bytes[pos]) != 0) {
        ++pos;
      } else {
        break;
      }
    }
    if (std::isdigit(bytes[pos]) == 0) malformed(kPnm, "size is not a number");
    int digits = 0;
    while (pos < bytes.size() && std::isdigit(bytes[pos]) != 0) {
      if (++digits > 10) malformed(kPnm, "size has too many digits");
      value = value * 10 + (bytes[pos++] - '0');
    }
  }
  return {kPnm, size[0], size[1]};
}

ImageHeader probe_by_format(ImageFormat format, Bytes bytes) {
  switch (format) {
    case ImageFormat::Jpeg:
      return probe_jpeg(bytes);
    case ImageFormat::Png:
      return probe_png(bytes);
    case ImageFormat::Bmp:
      return probe_bmp(bytes);
    case ImageFormat::Webp:
      return probe_webp(bytes);
    case ImageFormat::Tiff:
      return probe_tiff(bytes);
    case ImageFormat::Pnm:
      return probe_pnm(bytes);
    case ImageFormat::Unknown:
      break;
  }
  throw SkipImage(Reason::NotAnImage, "not an image");
}

bool is_other_image_format(Bytes bytes) {
  return starts_with(bytes, {0x00, 0x00, 0x00, 0x0C, 'j', 'P'}) ||  // JPEG 2000
         starts_with(bytes, {0xFF, 0x4F, 0xFF, 0x51}) ||            // JPEG 2000 codestream
         starts_with(bytes, {0x76, 0x2F, 0x31, 0x01}) ||            // OpenEXR
         starts_with(bytes, {'#', '?'}) ||                          // Radiance HDR
         starts_with(bytes, {0x59, 0xA6, 0x6A, 0x95}) ||            // Sun raster
         starts_with(bytes, {'G', 'I', 'F', '8'}) ||                // GIF (OpenCV 4.6: no)
         starts_with(bytes, {'P', 'F'}) || starts_with(bytes, {'P', 'f'}) ||
         starts_with(bytes, {'P', '7'}) || starts_with(bytes, {'I', 'I', 0x2B, 0x00}) ||
         starts_with(bytes, {'M', 'M', 0x00, 0x2B});  // PFM, PAM, BigTIFF
}

}  // namespace

const char* to_string(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg:
      return "JPEG";
    case ImageFormat::Png:
      return "PNG";
    case ImageFormat::Bmp:
      return "BMP";
    case ImageFormat::Webp:
      return "WebP";
    case ImageFormat::Tiff:
      return "TIFF";
    case ImageFormat::Pnm:
      return "PNM";
    case ImageFormat::Unknown:
      break;
  }
  return "unknown";
}

ImageFormat sniff_format(std::span<const std::uint8_t> bytes) {
  if (starts_with(bytes, {0xFF, 0xD8, 0xFF})) return ImageFormat::Jpeg;
  if (starts_with(bytes, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return ImageFormat::Png;
  if (starts_with(bytes, {'B', 'M'})) return ImageFormat::Bmp;
  if (has_text_at(bytes, 0, "RIFF") && has_text_at(bytes, 8, "WEBP")) return ImageFormat::Webp;
  if (starts_with(bytes, {'I', 'I', 0x2A, 0x00}) || starts_with(bytes, {'M', 'M', 0x00, 0x2A})) {
    return ImageFormat::Tiff;
  }
  if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' &&
      std::isspace(bytes[2]) != 0) {
    return ImageFormat::Pnm;
  }
  return ImageFormat::Unknown;
}

ImageHeader probe_image(std::span<const std::uint8_t> bytes, std::uint64_t max_pixels) {
  const ImageFormat format = sniff_format(bytes);
  if (format == ImageFormat::Unknown) {
    if (is_other_image_format(bytes)) {
      throw SkipImage(Reason::UnsupportedFormat,
                      "image format not supported (JPEG, PNG, BMP, WebP, TIFF and PNM are)");
    }
    throw SkipImage(Reason::NotAnImage,
                    "not an image (no JPEG, PNG, BMP, WebP, TIFF or PNM signature)");
  }
  const ImageHeader header = probe_by_format(format, bytes);
  if (header.width == 0 || header.height == 0) {
    malformed(format, "size " + std::to_string(header.width) + "x" + std::to_string(header.height));
  }
  if (header.pixels() > max_pixels) {
    throw SkipImage(Reason::TooManyPixels,
                    std::string(to_string(format)) + " of " + std::to_string(header.width) + "x" +
                        std::to_string(header.height) + " = " + std::to_string(header.pixels()) +
                        " pixels exceeds --max-pixels " + std::to_string(max_pixels));
  }
  return header;
}

}  // namespace facegender::prepare
