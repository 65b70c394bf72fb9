#include "prepare/travel_pack.hpp"

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>

#include "common/files.hpp"
#include "common/progress.hpp"

namespace facegender::prepare {
namespace {

constexpr std::array<char, 8> kPackedMagic = {'F', 'G', 'D', 'S', 0, 0, 0, 1};
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

// The magic-checked JSON header of either form; `end` receives the offset
// just after it.
std::string header_of(const std::string& bytes, const std::array<char, 8>& magic,
                      const std::string& path, std::size_t& end) {
  if (bytes.size() < 16 || std::memcmp(bytes.data(), magic.data(), magic.size()) != 0) {
    throw std::runtime_error(path + ": not a facegender " +
                             std::string(magic[3] == 'S' ? ".fgds" : ".fgdz") +
                             " file (bad magic)");
  }
  const std::uint64_t length = read_le(bytes, 8, 8, path);
  if (length > bytes.size() - 16) throw std::runtime_error(path + ": header runs past the end");
  end = 16 + static_cast<std::size_t>(length);
  return bytes.substr(16, static_cast<std::size_t>(length));
}

int face_side(const std::string& header, const std::string& path) {
  try {
    return nlohmann::json::parse(header).at("image_size").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": malformed header: " + e.what());
  }
}

}  // namespace

PackStats pack_dataset(const std::string& fgds, const std::string& fgdz, int quality) {
  const std::string bytes = read_file(fgds);
  std::size_t pixels_at = 0;
  const std::string header = header_of(bytes, kPackedMagic, fgds, pixels_at);
  const int side = face_side(header, fgds);
  const std::size_t face_bytes = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
  if ((bytes.size() - pixels_at) % face_bytes != 0)
    throw std::runtime_error(fgds + ": pixel block is not whole faces");
  const std::size_t count = (bytes.size() - pixels_at) / face_bytes;

  std::string sizes, blobs;
  PackStats stats;
  double total_error = 0;
  Progress progress("pack", static_cast<std::int64_t>(count), " faces");
  for (std::size_t i = 0; i < count; ++i) {
    const cv::Mat face(side, side, CV_8UC1,
                       const_cast<char*>(bytes.data() + pixels_at + i * face_bytes));
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
  std::string out(kTravelMagic.begin(), kTravelMagic.end());
  append_le(out, header.size(), 8);
  out += header;
  append_le(out, count, 4);
  out += sizes;
  out += blobs;
  write_file_atomically(fgdz, out);
  stats.faces = count;
  stats.bytes = out.size();
  stats.mean_abs_error = count ? total_error / static_cast<double>(count * face_bytes) : 0.0;
  return stats;
}

std::uint64_t unpack_dataset(const std::string& fgdz, const std::string& fgds) {
  const std::string bytes = read_file(fgdz);
  std::size_t at = 0;
  const std::string header = header_of(bytes, kTravelMagic, fgdz, at);
  const int side = face_side(header, fgdz);
  const std::uint64_t count = read_le(bytes, at, 4, fgdz);
  std::size_t blob_at = at + 4 + 4 * static_cast<std::size_t>(count);
  std::string out(kPackedMagic.begin(), kPackedMagic.end());
  append_le(out, header.size(), 8);
  out += header;
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
    out.append(reinterpret_cast<const char*>(face.data), face.total());
    blob_at += size;
  }
  write_file_atomically(fgds, out);
  return count;
}

}  // namespace facegender::prepare
