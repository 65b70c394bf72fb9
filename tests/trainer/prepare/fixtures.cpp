#include "fixtures.hpp"

#include <jpeglib.h>
#include <stdlib.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <stdexcept>

#include "prepare/sha256.hpp"
#include "test_support.hpp"

namespace facegender::testing {
namespace fs = std::filesystem;
namespace {

void append_be32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void append_png_chunk(Bytes& out, const char* type, const Bytes& data) {
  append_be32(out, static_cast<std::uint32_t>(data.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  append_be32(out,
              static_cast<std::uint32_t>(crc32(0, typed.data(), static_cast<uInt>(typed.size()))));
}

}  // namespace

void write_bytes(const std::string& path, const Bytes& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(path + ": cannot write fixture");
}

void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, Bytes(text.begin(), text.end()));
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes encode(const cv::Mat& image, const std::string& extension) {
  Bytes bytes;
  if (!cv::imencode(extension, image, bytes))
    throw std::runtime_error("cannot encode " + extension);
  return bytes;
}

cv::Mat pattern(int klass, int variant, int size) {
  cv::Mat image(size, size, CV_8UC3);
  std::mt19937 rng(static_cast<unsigned>(1000 * klass + variant));
  std::uniform_int_distribution<int> noise(0, 40);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const int along = klass == 0 ? y : x;
      const int base = (along / 10) % 2 == 0 ? 40 : 200;
      const auto value = static_cast<std::uint8_t>(base + noise(rng));
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(value, value, value);
    }
  }
  return image;
}

Bytes png_header_only(std::uint32_t width, std::uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Bytes ihdr;
  append_be32(ihdr, width);
  append_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit, RGB, deflate, no filter, no interlace
  append_png_chunk(png, "IHDR", ihdr);
  append_png_chunk(png, "IEND", {});
  return png;
}

Bytes cmyk_jpeg(int width, int height) {
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 4;
  info.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&info);
  jpeg_start_compress(&info, TRUE);
  std::vector<unsigned char> row(static_cast<std::size_t>(width) * 4);
  while (info.next_scanline < info.image_height) {
    for (int x = 0; x < width; ++x) {  // a left-to-right ramp in C, fixed M, Y, K
      row[4 * x + 0] = static_cast<unsigned char>(255 * x / std::max(1, width - 1));
      row[4 * x + 1] = 128;
      row[4 * x + 2] = 64;
      row[4 * x + 3] = 200;
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  Bytes bytes(buffer, buffer + size);
  free(buffer);  // allocated by libjpeg's jpeg_mem_dest with malloc
  return bytes;
}

Bytes with_exif_orientation(const Bytes& jpeg, int orientation) {
  // APP1 "Exif\0\0", little-endian TIFF header, IFD0 with one entry:
  // Orientation (0x0112), SHORT, count 1, value.
  Bytes app1 = {0xFF,
                0xE1,
                0,
                0,
                'E',
                'x',
                'i',
                'f',
                0,
                0,
                'I',
                'I',
                0x2A,
                0,
                8,
                0,
                0,
                0,
                1,
                0,
                0x12,
                0x01,
                3,
                0,
                1,
                0,
                0,
                0,
                static_cast<std::uint8_t>(orientation),
                0,
                0,
                0,
                0,
                0,
                0,
                0};
  const std::size_t length = app1.size() - 2;
  app1[2] = static_cast<std::uint8_t>(length >> 8);
  app1[3] = static_cast<std::uint8_t>(length & 0xFF);
  Bytes out(jpeg.size() + app1.size());
  std::copy(jpeg.begin(), jpeg.begin() + 2, out.begin());
  std::copy(app1.begin(), app1.end(), out.begin() + 2);
  std::copy(jpeg.begin() + 2, jpeg.end(), out.begin() + 2 + static_cast<long>(app1.size()));
  return out;
}

prepare::PrepareOptions synthetic_options() {
  prepare::PrepareOptions options;
  // The Haar path: these tests are about prepare's bookkeeping on synthetic
  // images (no face BlazeFace would find), not about the detector.
  options.face.detector = "haar";
  options.face.cascade_dir = FACEGENDER_CASCADE_DIR;
  options.face.center_when_no_face = true;
  options.face.min_face = 0;
  options.threads = 1;
  options.progress = false;
  return options;
}

std::string sha256_of_file(const std::string& path) {
  return prepare::sha256_hex(read_bytes(path));
}

}  // namespace facegender::testing
