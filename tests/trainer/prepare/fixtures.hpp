// Fixtures for the prepare tests, written on the fly into a fresh temporary
// folder: synthetic class patterns, broken and unusual image files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "prepare/prepare.hpp"
#include "test_support.hpp"

namespace facegender::testing {

using Bytes = std::vector<std::uint8_t>;

void write_bytes(const std::string& path, const Bytes& bytes);  // creates parent folders
void write_text(const std::string& path, const std::string& text);
Bytes read_bytes(const std::string& path);
Bytes encode(const cv::Mat& image, const std::string& extension);

// A 120x120 BGR image: class 0 horizontal stripes, class 1 vertical stripes;
// `variant` changes the noise so every variant has different bytes.
cv::Mat pattern(int klass, int variant, int size = 120);

// A PNG signature, an IHDR claiming width x height (8-bit RGB), no image
// data, and IEND: enough for a decoder to allocate, nothing to decode.
Bytes png_header_only(std::uint32_t width, std::uint32_t height);
Bytes cmyk_jpeg(int width, int height);                           // via libjpeg (JCS_CMYK)
Bytes with_exif_orientation(const Bytes& jpeg, int orientation);  // APP1 Exif after SOI

// Options for synthetic fixtures: the core's cascades, centre crops kept
// (Haar finds no face in stripes), no size floor, one thread, no progress.
prepare::PrepareOptions synthetic_options();

std::string sha256_of_file(const std::string& path);

}  // namespace facegender::testing
