#include "prepare/travel_pack.hpp"

#include <array>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

#include "common/files.hpp"
#include "common/progress.hpp"
#include "dataset/packed_dataset.hpp"

namespace facegender::prepare {
namespace {

constexpr std::array<char, 8> kTravelMagic = {'F', 'G', 'D', 'Z', 0, 0, 0, 1};

std::uint64_t read_le(const std::string& bytes, std::size_t at, int width,
                      const std::string& path) {
  if (at + static_cast<std::size_t>(width) > bytes.size())
    throw std::runtime_error(path + ": truncated");
  std::uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return value;
}

void append_le(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

}  // namespace

PackStats pack_dataset(const std::string& fgds, const std::string& fgdz, int quality) {
  const dataset::PackedDataset data = dataset::read(fgds);
  const int side = data.image_size;
  const std::size_t face_bytes = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
  std::string sizes, blobs;
  PackStats stats;
  double total_error = 0;
  Progress progress("pack", static_cast<std::int64_t>(data.size()), " faces");
  for (std::size_t i = 0; i < data.size(); ++i) {
    const cv::Mat face(side, side, CV_8UC1, const_cast<std::uint8_t*>(data.face(i).data()));
    std::vector<std::uint8_t> webp;
    if (!cv::imencode(".webp", face, webp, {cv::IMWRITE_WEBP_QUALITY, quality})) {
      throw std::runtime_error(fgdz + ": WebP encoding failed (face " + std::to_string(i) + ")");
    }
    const cv::Mat back = cv::imdecode(webp, cv::IMREAD_GRAYSCALE);
    cv::Mat diff;
    cv::absdiff(face, back, diff);
    double worst = 0;
    cv::minMaxLoc(diff, nullptr, &worst);
    stats.max_abs_error = std::max(stats.max_abs_error, static_cast<int>(worst));
    total_error += cv::sum(diff)[0];
    append_le(sizes, webp.size(), 4);
    blobs.append(webp.begin(), webp.end());
    progress.advance();
  }
  progress.finish();
  const std::string header = dataset::header_text(data);
  std::string out(kTravelMagic.begin(), kTravelMagic.end());
  append_le(out, header.size(), 8);
  out += header;
  append_le(out, data.size(), 4);
  out += sizes;
  out += blobs;
  write_file_atomically(fgdz, out);
  stats.faces = data.size();
  stats.bytes = out.size();
  stats.mean_abs_error =
      data.size() ? total_error / static_cast<double>(data.size() * face_bytes) : 0.0;
  return stats;
}

std::uint64_t unpack_dataset(const std::string& fgdz, const std::string& fgds) {
  const std::string bytes = read_file(fgdz);
  if (bytes.size() < 16 ||
      std::memcmp(bytes.data(), kTravelMagic.data(), kTravelMagic.size()) != 0) {
    throw std::runtime_error(fgdz + ": not a facegender .fgdz file (bad magic)");
  }
  const std::uint64_t header_length = read_le(bytes, 8, 8, fgdz);
  if (header_length > bytes.size() - 16)
    throw std::runtime_error(fgdz + ": header runs past the end");
  dataset::PackedDataset data = dataset::from_header_text(bytes.substr(16, header_length), fgdz);
  const std::size_t at = 16 + static_cast<std::size_t>(header_length);
  const std::uint64_t count = read_le(bytes, at, 4, fgdz);
  if (count != data.size()) {
    throw std::runtime_error(fgdz + ": holds " + std::to_string(count) + " faces for " +
                             std::to_string(data.size()) + " records");
  }
  const int side = data.image_size;
  std::size_t blob_at = at + 4 + 4 * static_cast<std::size_t>(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t size = read_le(bytes, at + 4 + 4 * static_cast<std::size_t>(i), 4, fgdz);
    if (blob_at + size > bytes.size())
      throw std::runtime_error(fgdz + ": face " + std::to_string(i) + " is truncated");
    const cv::Mat blob(1, static_cast<int>(size), CV_8UC1,
                       const_cast<char*>(bytes.data() + blob_at));
    const cv::Mat face = cv::imdecode(blob, cv::IMREAD_GRAYSCALE);
    if (face.rows != side || face.cols != side) {
      throw std::runtime_error(fgdz + ": face " + std::to_string(i) + " does not decode to " +
                               std::to_string(side) + "x" + std::to_string(side));
    }
    data.pixels.insert(data.pixels.end(), face.data, face.data + face.total());
    blob_at += size;
  }
  dataset::write(data, fgds);
  return count;
}

}  // namespace facegender::prepare
